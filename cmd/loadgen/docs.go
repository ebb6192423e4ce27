package main

import "time"

// The documents the direct side reads and writes: the same fields, types and tags as the
// store's own (store/checks.go, store/releases.go, store/audit.go), so that the direct side
// encodes and decodes what the service does, and what it writes is a release or a check the
// service can read.

type checkDoc struct {
	ID        string `bson:"_id"`
	ReleaseID string `bson:"release_id"`
	Type      string `bson:"type"`
	Agency    string `bson:"agency"`
	Status    string `bson:"status"`

	RequestBy         string       `bson:"request_by"`
	RequestedAt       *time.Time   `bson:"requested_at,omitempty"`
	RequestedBy       string       `bson:"requested_by,omitempty"`
	DueDate           string       `bson:"due_date,omitempty"`
	Response          *responseDoc `bson:"response,omitempty"`
	CompletedAt       *time.Time   `bson:"completed_at,omitempty"`
	CompletedBy       string       `bson:"completed_by,omitempty"`
	CompletionNote    string       `bson:"completion_note,omitempty"`
	NotRequiredReason string       `bson:"not_required_reason,omitempty"`
	WithdrawnReason   string       `bson:"withdrawn_reason,omitempty"`
	SupersededBy      string       `bson:"superseded_by,omitempty"`

	History      []historyDoc             `bson:"history"`
	AuditPending []auditDoc               `bson:"audit_pending,omitempty"`
	AuditSeq     int64                    `bson:"audit_seq"`
	AuditDirty   bool                     `bson:"audit_dirty,omitempty"`
	Escalations  map[string]escalationDoc `bson:"escalations"`
	Version      int64                    `bson:"version"`
	UpdatedAt    time.Time                `bson:"updated_at"`

	CRN         string `bson:"crn"`
	FullName    string `bson:"full_name"`
	DateOfBirth string `bson:"date_of_birth"`
	ReleaseDate string `bson:"release_date"`
	Team        string `bson:"team"`
	COMID       string `bson:"com_id"`
}

type responseDoc struct {
	Outcome         string    `bson:"outcome"`
	Summary         string    `bson:"summary"`
	RespondedAt     time.Time `bson:"responded_at"`
	RespondedBy     string    `bson:"responded_by"`
	RespondedByName string    `bson:"responded_by_name"`
}

type historyDoc struct {
	At        time.Time `bson:"at"`
	ActorID   string    `bson:"actor_id,omitempty"`
	ActorName string    `bson:"actor_name"`
	Role      string    `bson:"role,omitempty"`
	Action    string    `bson:"action"`
	From      string    `bson:"from,omitempty"`
	To        string    `bson:"to,omitempty"`
	Note      string    `bson:"note,omitempty"`
}

type escalationDoc struct {
	At            time.Time `bson:"at"`
	AsOf          time.Time `bson:"as_of"`
	To            []string  `bson:"to"`
	Undeliverable []string  `bson:"undeliverable,omitempty"`
}

type releaseDoc struct {
	ID             string     `bson:"_id"`
	CRN            string     `bson:"crn"`
	NOMSNumber     string     `bson:"noms_number"`
	FullName       string     `bson:"full_name"`
	DateOfBirth    string     `bson:"date_of_birth"`
	ReleaseDate    string     `bson:"release_date"`
	PrisonCode     string     `bson:"prison_code"`
	Team           string     `bson:"team"`
	COMID          string     `bson:"com_id"`
	PoliceForce    string     `bson:"police_force"`
	LocalAuthority string     `bson:"local_authority"`
	Status         string     `bson:"status"`
	CancelReason   string     `bson:"cancel_reason,omitempty"`
	Slots          []slotDoc  `bson:"slots"`
	DedupeKey      string     `bson:"dedupe_key"`
	SyncPending    bool       `bson:"sync_pending"`
	AuditPending   []auditDoc `bson:"audit_pending,omitempty"`
	AuditSeq       int64      `bson:"audit_seq"`
	AuditDirty     bool       `bson:"audit_dirty,omitempty"`
	CreatedAt      time.Time  `bson:"created_at"`
	CreatedBy      string     `bson:"created_by"`
	UpdatedAt      time.Time  `bson:"updated_at"`
	Version        int64      `bson:"version"`
}

type slotDoc struct {
	CheckID    string `bson:"check_id"`
	Type       string `bson:"type"`
	Agency     string `bson:"agency"`
	Superseded bool   `bson:"superseded"`
}

type auditDoc struct {
	ID         string      `bson:"_id"`
	At         time.Time   `bson:"at"`
	ActorID    string      `bson:"actor_id,omitempty"`
	ActorName  string      `bson:"actor_name"`
	Role       string      `bson:"role,omitempty"`
	Action     string      `bson:"action"`
	Resource   string      `bson:"resource"`
	ResourceID string      `bson:"resource_id"`
	ReleaseID  string      `bson:"release_id,omitempty"`
	Changes    []changeDoc `bson:"changes,omitempty"`
}

type changeDoc struct {
	Field  string `bson:"field"`
	Before string `bson:"before"`
	After  string `bson:"after"`
}

// agencyDoc and userDoc are read whole, as the store reads them; only what the direct side
// looks at is named.
type agencyDoc struct {
	Code   string `bson:"_id"`
	Kind   string `bson:"kind"`
	Active bool   `bson:"active"`
}

type userDoc struct {
	ID     string   `bson:"_id"`
	Role   string   `bson:"role"`
	Teams  []string `bson:"teams"`
	Active bool     `bson:"active"`
}
