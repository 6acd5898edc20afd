package models

import (
	"errors"
	"sort"
	"strings"
)

// Error codes, mapped to HTTP statuses in one place (app/errors.go).
const (
	ECONFLICT     = "conflict"
	EFORBIDDEN    = "forbidden"
	ENOTFOUND     = "not_found"
	EINVALID      = "invalid"
	EUNAUTHORIZED = "unauthenticated"
	ERATELIMITED  = "rate_limited"
)

// Error is a domain error with a machine-readable code and a message a person can read.
type Error struct {
	Code    string
	Message string
	// Link, when set, is a path on this site where the person can go instead.
	Link string
}

func (e *Error) Error() string { return e.Message }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, ErrNotFound) matches any not-found error.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code == e.Code
	}
	return false
}

// Sentinel errors; wrap or compare with errors.Is.
var (
	ErrNotFound        = &Error{Code: ENOTFOUND, Message: "not found"}
	ErrForbidden       = &Error{Code: EFORBIDDEN, Message: "you are not allowed to do that"}
	ErrConflict        = &Error{Code: ECONFLICT, Message: "conflict"}
	ErrUnauthenticated = &Error{Code: EUNAUTHORIZED, Message: "sign in first"}
)

// Errorf returns a domain error with the given code and message.
func Errorf(code, message string) *Error { return &Error{Code: code, Message: message} }

// ValidationError lists what is wrong with input, field by field.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+e.Fields[k])
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add records a problem with a field; the first message for a field wins.
func (e *ValidationError) Add(field, message string) {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = message
	}
}

// Err returns e when it holds any problem and nil otherwise.
func (e *ValidationError) Err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}
