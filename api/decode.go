package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"reflect"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
)

// maxBody bounds every request body.
const maxBody = 64 << 10

// decode reads the request body into v strictly: JSON only, one object, no unknown fields.
// Each failure names the field (or "body") and the reason. With optional, an empty body
// leaves v as it is.
func decode(c *gin.Context, v any, optional bool) error {
	if ct := c.GetHeader("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &mediaTypeError{}
		}
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return err // over the limit: fail answers 413
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return bad("body", "is empty: send a JSON object")
	}
	// encoding/json matches keys regardless of case and keeps the last of repeated keys:
	// check the keys first, so that "CRN" or a second "crn" is refused, not taken.
	if err := exactKeys(body, v); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return bad("body", "must hold one JSON object and nothing after it")
	}
	return nil
}

// exactKeys checks that the top-level keys of a JSON object are each a json tag of the struct
// v points to, spelled exactly, and given once. Anything that is not an object is left for
// the decoder to report.
func exactKeys(body []byte, v any) error {
	known := map[string]bool{}
	t := reflect.TypeOf(v).Elem()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		known[name] = true
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		switch {
		case !known[key]:
			return bad(key, "is not a field of this request")
		case seen[key]:
			return bad(key, "is given more than once")
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil
		}
	}
	return nil
}

// mediaTypeError is a body sent as something other than JSON.
type mediaTypeError struct{}

func (*mediaTypeError) Error() string { return "unsupported media type" }

func bad(field, reason string) error {
	return &checks.Error{Code: checks.EMALFORMED, Message: "the request cannot be read", Fields: []checks.FieldError{{Field: field, Reason: reason}}}
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return bad("body", fmt.Sprintf("is not valid JSON (error at byte %d)", syntax.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return bad("body", "is not valid JSON (it ends too early)")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return bad("body", "must be a JSON object")
		}
		return bad(field, "must be "+jsonType(typ.Type))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return bad(name, "is not a field of this request")
	}
	// A body over the limit surfaces as the reader's error: pass it on for fail to map.
	return err
}

func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Slice:
		return "an array of " + strings.TrimPrefix(jsonType(t.Elem()), "a ") + "s"
	case reflect.Pointer:
		return jsonType(t.Elem())
	}
	return "a JSON " + t.Kind().String()
}

// Whether a request may come without a body.
const (
	bodyRequired = false
	bodyOptional = true
)
