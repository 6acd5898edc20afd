package models

import (
	"context"
	"errors"
	"testing"
)

var ctx = context.Background()

// mustViewer signs in a local identity with role and returns its viewer.
func mustViewer(t *testing.T, s *Store, name, role string) *Viewer {
	t.Helper()
	u, err := s.LocalSignIn(ctx, name, role)
	if err != nil {
		t.Fatalf("sign in %s: %v", name, err)
	}
	v, err := s.ViewerByID(ctx, u.ID)
	if err != nil {
		t.Fatalf("viewer %s: %v", name, err)
	}
	return v
}

// mustGroup creates a group as admin.
func mustGroup(t *testing.T, s *Store, admin *Viewer, slug, visibility string) *Group {
	t.Helper()
	g, err := s.CreateGroup(ctx, admin, GroupInput{Slug: slug, Name: "Group " + slug, Visibility: visibility})
	if err != nil {
		t.Fatalf("create group %s: %v", slug, err)
	}
	return g
}

// mustJoin joins v to the group and fails unless the membership has the wanted status.
func mustJoin(t *testing.T, s *Store, v *Viewer, slug, status string) *Membership {
	t.Helper()
	m, err := s.Join(ctx, v, slug)
	if err != nil {
		t.Fatalf("join %s: %v", slug, err)
	}
	if m.Status != status {
		t.Fatalf("join %s: status %q, want %q", slug, m.Status, status)
	}
	return m
}

// wantCode fails unless err is a domain error with the given code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var de *Error
	if !errors.As(err, &de) || de.Code != code {
		t.Fatalf("got error %v, want code %q", err, code)
	}
}

// wantField fails unless err is a ValidationError naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("got error %v, want a validation error on %q", err, field)
	}
	if _, ok := ve.Fields[field]; !ok {
		t.Fatalf("validation error %v does not name %q", ve, field)
	}
}
