package models

import (
	"context"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// AuditPageSize is the number of audit entries on one page.
const AuditPageSize = 100

// AuditExportLimit bounds one CSV export.
const AuditExportLimit = 100000

// AuditFilter narrows the audit log. Dates are UTC days (2006-01-02), both inclusive.
type AuditFilter struct {
	// Actor is a user id.
	Actor string `query:"actor" json:"actor"`
	// Action matches whole actions or a prefix ending in a dot ("moderation.").
	Action string `query:"action" json:"action"`
	// Target is a target type ("post") or type and id ("post:12").
	Target string `query:"target" json:"target"`
	From   string `query:"from" json:"from"`
	To     string `query:"to" json:"to"`
	Page   int    `query:"page" json:"-"`
}

// AuditPage is one page of the filtered audit log.
type AuditPage struct {
	Entries []AuditEntry
	Page    int
	HasNext bool
}

// auditQuery applies the filter, or reports what is wrong with it.
func (s *Store) auditQuery(ctx context.Context, v *Viewer, f *AuditFilter) (*gorm.DB, error) {
	if !v.IsAdmin() {
		return nil, ErrNotFound
	}
	var ve ValidationError
	q := s.rdb.WithContext(ctx).Model(&AuditEntry{})
	if a := strings.TrimSpace(f.Actor); a != "" {
		id, err := strconv.ParseInt(strings.TrimPrefix(a, "#"), 10, 64)
		if err != nil || id <= 0 {
			ve.Add("actor", "give a user id, e.g. 12")
		} else {
			q = q.Where("actor_id = ?", id)
		}
	}
	if a := strings.TrimSpace(f.Action); a != "" {
		if strings.HasSuffix(a, ".") {
			q = q.Where("action LIKE ?", strings.NewReplacer("%", "", "_", "").Replace(a)+"%")
		} else {
			q = q.Where("action = ?", a)
		}
	}
	if t := strings.TrimSpace(f.Target); t != "" {
		typ, id, hasID := strings.Cut(t, ":")
		q = q.Where("target_type = ?", typ)
		if hasID {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				ve.Add("target", "use a type, or type:id such as post:12")
			} else {
				q = q.Where("target_id = ?", n)
			}
		}
	}
	day := func(field, value string, end bool) {
		if value = strings.TrimSpace(value); value == "" {
			return
		}
		d, err := time.ParseInLocation("2006-01-02", value, time.UTC)
		if err != nil {
			ve.Add(field, "use a date such as 2026-11-24")
			return
		}
		if end {
			q = q.Where("created_at < ?", d.Add(24*time.Hour))
		} else {
			q = q.Where("created_at >= ?", d)
		}
	}
	day("from", f.From, false)
	day("to", f.To, true)
	if f.Page == 0 {
		f.Page = 1
	}
	if f.Page < 1 || f.Page > MaxPage {
		ve.Add("page", "use a page from 1 to 100000")
	}
	if err := ve.Err(); err != nil {
		return nil, err
	}
	return q, nil
}

// AuditSearch lists one page of the audit log, newest first; admins only.
func (s *Store) AuditSearch(ctx context.Context, v *Viewer, f AuditFilter) (*AuditPage, error) {
	q, err := s.auditQuery(ctx, v, &f)
	if err != nil {
		return nil, err
	}
	p := &AuditPage{Page: f.Page}
	if err := q.Order("id DESC").Offset((f.Page - 1) * AuditPageSize).Limit(AuditPageSize + 1).Find(&p.Entries).Error; err != nil {
		return nil, wrapErr("audit search", err)
	}
	if len(p.Entries) > AuditPageSize {
		p.HasNext, p.Entries = true, p.Entries[:AuditPageSize]
	}
	return p, nil
}

// AuditExport calls fn with every matching entry, newest first, in batches (up to
// AuditExportLimit entries); admins only. The export itself is audited.
func (s *Store) AuditExport(ctx context.Context, v *Viewer, f AuditFilter, fn func([]AuditEntry) error) error {
	f.Page = 1
	q, err := s.auditQuery(ctx, v, &f)
	if err != nil {
		return err
	}
	desc := strings.Join([]string{"actor=" + f.Actor, "action=" + f.Action, "target=" + f.Target, "from=" + f.From, "to=" + f.To}, " ")
	if err := s.audit(ctx, s.db, v, "audit.export", "audit", 0, desc); err != nil {
		return err
	}
	var last int64
	sent := 0
	for sent < AuditExportLimit {
		var batch []AuditEntry
		bq := q.Session(&gorm.Session{}).Order("id DESC").Limit(1000)
		if last > 0 {
			bq = bq.Where("id < ?", last)
		}
		if err := bq.Find(&batch).Error; err != nil {
			return wrapErr("audit export", err)
		}
		if len(batch) == 0 {
			return nil
		}
		if err := fn(batch); err != nil {
			return err
		}
		sent += len(batch)
		last = batch[len(batch)-1].ID
	}
	return nil
}
