package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"time"

	"github.com/probation/safeguarding/checks"
)

// inserter is what queuing one email needs of the outbox.
type inserter interface {
	Insert(ctx context.Context, e Email) (bool, error)
}

// SignInLinks emails sign-in links, through the outbox like every other email: a relay that
// is down delays a link rather than losing it.
type SignInLinks struct {
	outbox inserter
	sender *Sender
	clock  checks.Clock
}

// NewSignInLinks returns the sender of sign-in links; sender (which may be nil) is woken for
// each, so that a link goes at once rather than at the outbox's next tick.
func NewSignInLinks(outbox inserter, sender *Sender, clock checks.Clock) *SignInLinks {
	return &SignInLinks{outbox: outbox, sender: sender, clock: clock}
}

// Send queues an email to to carrying link, which works until expires. The email says
// nothing of the person's cases: only the link, and that it works once, in the browser
// that asked for it.
func (l *SignInLinks) Send(ctx context.Context, to, link string, expires time.Time) error {
	sum := sha256.Sum256([]byte(link))
	now := l.clock.Now().UTC().Truncate(time.Millisecond)
	until := expires.In(checks.London()).Format("15:04")
	text := fmt.Sprintf("Use this link to sign in to Safeguarding checks:\n\n%s\n\n"+
		"It works once, until %s (London time), and only in the browser where you asked for it.\n\n"+
		"If you did not ask to sign in, you can ignore this email: nobody can use the link without that browser.\n", link, until)
	body := fmt.Sprintf(`<p>Use this link to sign in to Safeguarding checks:</p><p><a href="%s">Sign in to Safeguarding checks</a></p>`+
		`<p>It works once, until %s (London time), and only in the browser where you asked for it.</p>`+
		`<p>If you did not ask to sign in, you can ignore this email: nobody can use the link without that browser.</p>`,
		html.EscapeString(link), until)
	e := Email{Key: hex.EncodeToString(sum[:]), To: to, Subject: "Your link to sign in to Safeguarding checks",
		Text: text, HTML: body, Items: []string{}, Recipient: "sign-in link", Status: StatusPending,
		NextAttemptAt: now, AsOf: now, CreatedAt: now}
	if _, err := l.outbox.Insert(ctx, e); err != nil {
		return fmt.Errorf("queue the sign-in link: %w", err)
	}
	if l.sender != nil {
		l.sender.Wake()
	}
	return nil
}
