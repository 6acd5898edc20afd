package app

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// apiError is the JSON error body: {"error": {"code", "message", "fields"}}.
type apiError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	Matches []string          `json:"matches,omitempty"`
	// Link is a path on this site to go to instead (e.g. a live thread's discussion).
	Link string `json:"link,omitempty"`
}

// errorPage is the view model of the HTML error page.
type errorPage struct {
	Status  int
	Code    string
	Message string
	Fields  map[string]string
	Link    string
}

var statusByCode = map[string]int{
	"bad_request":        http.StatusBadRequest,
	models.EUNAUTHORIZED: http.StatusUnauthorized,
	models.EFORBIDDEN:    http.StatusForbidden,
	models.ENOTFOUND:     http.StatusNotFound,
	models.ECONFLICT:     http.StatusConflict,
	models.EINVALID:      http.StatusUnprocessableEntity,
	models.ERATELIMITED:  http.StatusTooManyRequests,
}

var codeByStatus = map[int]string{
	http.StatusBadRequest:            "bad_request",
	http.StatusUnauthorized:          models.EUNAUTHORIZED,
	http.StatusForbidden:             models.EFORBIDDEN,
	http.StatusNotFound:              models.ENOTFOUND,
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusConflict:              models.ECONFLICT,
	http.StatusRequestEntityTooLarge: "too_large",
	http.StatusUnprocessableEntity:   models.EINVALID,
	http.StatusTooManyRequests:       models.ERATELIMITED,
	http.StatusInternalServerError:   "internal",
}

// statusClientClosed is the status logged for a request its client gave up on.
const statusClientClosed = 499

// classify maps any error to a status and the JSON error body.
func classify(err error) (int, apiError) {
	var ve *models.ValidationError
	var de *models.Error
	var he *echo.HTTPError
	var pd *models.PersonalDataError
	var be *models.BlockedError
	switch {
	case errors.Is(err, context.Canceled):
		// The client went away (or the server is stopping) before the answer: nobody
		// reads it, and nothing is ours to fix. 499 as proxies log it.
		return statusClientClosed, apiError{Code: "canceled", Message: "The request was cancelled."}
	case errors.As(err, &be):
		// A watched word refused the post: its message, beside the field that has it.
		return http.StatusUnprocessableEntity, apiError{Code: models.EINVALID, Message: be.Message,
			Fields: map[string]string{be.Field: be.Message}}
	case errors.As(err, &pd):
		return http.StatusUnprocessableEntity, apiError{Code: "personal_data", Matches: pd.Matches,
			Message: personalDataMessage(pd)}
	case errors.As(err, &ve):
		return http.StatusUnprocessableEntity, apiError{Code: models.EINVALID, Message: "Some fields need attention.", Fields: ve.Fields}
	case errors.As(err, &de):
		status, ok := statusByCode[de.Code]
		if !ok {
			status = http.StatusBadRequest
		}
		msg := de.Message
		if de.Code == models.ENOTFOUND {
			msg = "We could not find that page. It may have been removed, or you may not have access to it."
		}
		return status, apiError{Code: de.Code, Message: msg, Link: de.Link}
	case errors.As(err, &he):
		code, ok := codeByStatus[he.Code]
		if !ok {
			code = "error"
		}
		msg := http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok && m != "" {
			msg = m
		}
		if he.Code == http.StatusNotFound {
			msg = "We could not find that page. It may have been removed, or you may not have access to it."
		}
		if he.Code >= 500 {
			msg = "Something went wrong on our side. Your words were not lost if you saw them saved; please try again."
		}
		return he.Code, apiError{Code: code, Message: msg}
	}
	return http.StatusInternalServerError, apiError{Code: "internal",
		Message: "Something went wrong on our side. Please try again in a moment."}
}

// handleError is Echo's error handler: one place that turns every error into a page
// or a JSON error, and logs what is ours to fix.
func (h *handler) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, body := classify(err)
	setRetryAfter(c, err)
	if status >= 500 {
		h.log.Error("request failed", "err", err, "method", c.Request().Method,
			"path", c.Request().URL.Path, "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
	}
	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	if wantsJSON(c) {
		if err := c.JSON(status, map[string]apiError{"error": body}); err != nil {
			h.log.Error("write error", "err", err)
		}
		return
	}
	// A browser that must sign in first is sent to the sign-in page, and back after.
	if status == http.StatusUnauthorized && c.Request().Method == http.MethodGet {
		c.Redirect(http.StatusSeeOther, "/signin?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		return
	}
	ep := errorPage{Status: status, Code: body.Code, Message: body.Message, Fields: body.Fields, Link: body.Link}
	if err := h.html(c, status, "error", ep); err != nil {
		h.log.Error("render error page", "err", err)
		c.String(status, body.Message)
	}
}

// badRequest is the error for input that cannot be parsed at all.
func badRequest(msg string) error {
	return echo.NewHTTPError(http.StatusBadRequest, msg)
}

var personalDataNames = map[string]string{
	models.PDPhone: "a phone number", models.PDEmail: "an email address", models.PDAddress: "a postal address",
	models.PDDateOfBirth: "a date of birth", models.PDNHSNumber: "an NHS number", models.PDRecordNumber: "a medical record number",
}

// personalDataMessage asks the author, in words, to confirm before posting.
func personalDataMessage(pd *models.PersonalDataError) string {
	names := make([]string, 0, len(pd.Matches))
	for _, m := range pd.Matches {
		names = append(names, personalDataNames[m])
	}
	return "Your post seems to include " + strings.Join(names, ", ") +
		". Others could use it to find out who you are. Remove it, or confirm that you want to post it as it is."
}
