package workflow

import (
	"errors"
	"fmt"
)

// ErrorCode classifies an error so that each edge (HTTP, web, command line) can map it once.
type ErrorCode string

// The error codes of STYLE.md.
const (
	ErrInvalid            ErrorCode = "invalid"
	ErrUnauthenticated    ErrorCode = "unauthenticated"
	ErrNotFound           ErrorCode = "not_found"
	ErrForbidden          ErrorCode = "forbidden"
	ErrConflict           ErrorCode = "conflict"
	ErrPreconditionFailed ErrorCode = "precondition_failed"
	ErrTooManyRequests    ErrorCode = "too_many_requests"
	ErrUnavailable        ErrorCode = "unavailable"
	ErrInternal           ErrorCode = "internal"
)

// FieldError names one invalid input field and why.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the one error type the domain returns.
type Error struct {
	Code    ErrorCode
	Message string
	// Fields lists the invalid fields of an ErrInvalid.
	Fields []FieldError
	// AllowedActions lists what the caller may do instead, for an ErrConflict.
	AllowedActions []Action
	// RetryAfterSeconds tells a throttled caller when to come back.
	RetryAfterSeconds int
	// Err is the cause, logged but never shown.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with code and a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCodeOf returns the code of err: its own if it is an *Error, else ErrInternal.
func ErrorCodeOf(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ErrInternal
}

// fieldErrors collects validation failures of one request.
type fieldErrors []FieldError

func (f *fieldErrors) add(field, message string) { *f = append(*f, FieldError{field, message}) }

// err returns nil when nothing failed, else an ErrInvalid listing the fields.
func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: ErrInvalid, Message: "validation failed", Fields: f}
}
