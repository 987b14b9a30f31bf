/* livepol_change.c -- changes to a running profile: runtime overrides (set, unset, --for reverts) and the log of every change.
 *
 * An override is a KEY=VALUE of `natbox ctl set`, kept in the order made
 * and applied on top of the base profile and the command line's --set
 * each time the profile is rebuilt (livepol.c). Every change, whatever
 * made it, is logged: a [CONTROL] line in the event stream and the last
 * LIVEPOL_CHANGES kept for explain. Changes run under livepol's lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fieldw.h"
#include "livepol.h"
#include "livepol_int.h"
#include "log.h"

struct override {
	char kv[320];		/* "key=value" as given */
	char key[64];
	char value[256];
	uint64_t until;		/* CLOCK_MONOTONIC ns; 0: until unset */
};

static struct override ov[LIVEPOL_OVERRIDES_MAX], ov_saved[LIVEPOL_OVERRIDES_MAX];
static int nov, nov_saved;

static struct evbuf *eb;
static enum event_format eb_fmt;
static struct livepol_change changes[LIVEPOL_CHANGES];
static uint64_t nchanges;

/* Settings a running natbox cannot take from ctl set. */
static const char *const fixed_keys[] = {
	"name", "description", "source", "inherit", "table.max_flows",
};

/* ---- the log of changes ---- */

void
livepol_set_sink(struct evsink *s)
{
	if (eb) {
		evbuf_free(eb);
		eb = NULL;
	}
	if (s == NULL)
		return;
	if ((eb = evbuf_new(s)) == NULL)
		fatal("evbuf");
	eb_fmt = evsink_format(s);
}

/* Replies and event lines spell seconds rounded to the last place shown;
 * the field writer prints microseconds, cut: round first. */
static uint64_t
round_to(uint64_t ns, uint64_t unit)
{
	return (ns + unit / 2) / unit * unit;
}

/* In text a filter or a path that holds spaces is quoted, its quotes and
 * backslashes escaped (buf holds twice v and the quotes). */
static const char *
text_value(const char *v, char *buf, size_t cap)
{
	struct strbuf sb;

	if (strpbrk(v, " \t\"\\") == NULL)
		return v;
	sb_init_fixed(&sb, buf, cap);
	sb_puts(&sb, "\"");
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			sb_put(&sb, "\\", 1);
		sb_put(&sb, v, 1);
	}
	sb_puts(&sb, "\"");
	return buf;
}

void
livepol_change_format(const struct livepol_change *c, enum event_format fmt,
    struct strbuf *sb)
{
	const char *k = c->flows >= 0 ? "filter" : "value";
	char vfmt[16], quoted[2 * sizeof(c->value) + 3];
	struct fieldw w;

	fw_init_sb(&w, sb, fmt == EVF_JSON);
	fw_obj_open(&w, NULL);
	fw_text(&w, "[CONTROL] ");
	fw_secs(&w, "ts", "ts=%s", round_to(c->ts, 1000));
	fw_str(&w, "event", NULL, "control");
	fw_str(&w, "change", " change=%s", c->change);
	if (c->key[0])
		fw_str(&w, "key", " key=%s", c->key);
	if (c->value[0]) {
		snprintf(vfmt, sizeof(vfmt), " %s=%%s", k);
		fw_str(&w, k, vfmt, w.json ? c->value : text_value(c->value, quoted,
		    sizeof(quoted)));
	}
	if (c->for_ns)
		fw_secs(&w, "for", " for=%ss", round_to(c->for_ns, 1000000));
	if (c->flows >= 0)
		fw_int(&w, "flows", " flows=%lld", c->flows);
	fw_str(&w, "profile", " profile=%s", c->profile);
	fw_uint(&w, "generation", " generation=%llu", c->gen);
	fw_text(&w, "\n");
	fw_obj_close(&w);
}

void
lp_note_locked(struct livepol_change *c)
{
	const struct policy *p = livepol_current();	/* under the lock: stable */

	snprintf(c->profile, sizeof(c->profile), "%s", p->name);
	c->gen = lp_generation();
	changes[nchanges++ % LIVEPOL_CHANGES] = *c;
	if (eb) {
		char line[1024];
		struct strbuf sb;

		sb_init_fixed(&sb, line, sizeof(line));
		livepol_change_format(c, eb_fmt, &sb);
		if (!sb.cut) {
			evbuf_put_line(eb, line, sb.len);
			(void)evbuf_flush(eb);
		}
	}
}

void
lp_change_init(struct livepol_change *c, const char *what, uint64_t now)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->change, sizeof(c->change), "%s", what);
	c->ts = now;
	c->flows = -1;
}

void
livepol_note(struct livepol_change *c)
{
	lp_lock();
	lp_note_locked(c);
	lp_unlock();
}

unsigned
livepol_changes(uint64_t from, uint64_t to, struct livepol_change *out, unsigned max)
{
	unsigned n = 0;
	uint64_t i;

	lp_lock();
	for (i = nchanges > LIVEPOL_CHANGES ? nchanges - LIVEPOL_CHANGES : 0;
	    i < nchanges && n < max; i++) {
		const struct livepol_change *c = &changes[i % LIVEPOL_CHANGES];

		if (c->ts >= from && c->ts <= to)
			out[n++] = *c;
	}
	lp_unlock();
	return n;
}

/* ---- the overrides ---- */

void
lp_overrides_save(void)
{
	memcpy(ov_saved, ov, sizeof(ov[0]) * (size_t)nov);
	nov_saved = nov;
}

void
lp_overrides_restore(void)
{
	memcpy(ov, ov_saved, sizeof(ov[0]) * (size_t)nov_saved);
	nov = nov_saved;
}

void
lp_overrides_clear(void)
{
	nov = 0;
}

int
lp_overrides_apply(struct policy *p, struct policy_errors *errs)
{
	for (int i = 0; i < nov; i++)
		if (policy_set(p, "ctl set", ov[i].kv, errs) < 0)
			return -1;
	return 0;
}

void
lp_overrides_describe(uint64_t now, bool json, struct strbuf *sb)
{
	for (int i = 0; i < nov; i++) {
		uint64_t left = ov[i].until > now ? ov[i].until - now : 0;

		if (json) {
			sb_puts(sb, i ? ",{\"key\":" : "{\"key\":");
			sb_json_str(sb, ov[i].key);
			sb_puts(sb, ",\"value\":");
			sb_json_str(sb, ov[i].value);
			if (ov[i].until) {
				sb_puts(sb, ",\"reverts_in\":");
				sb_secs(sb, left, 3);
			}
			sb_puts(sb, "}");
			continue;
		}
		sb_printf(sb, "# ctl set %s", ov[i].kv);
		if (ov[i].until) {
			sb_puts(sb, " (reverts in ");
			sb_secs(sb, left, 1);
			sb_puts(sb, "s)");
		}
		sb_puts(sb, "\n");
	}
}

static void
remove_override(int i)
{
	memmove(&ov[i], &ov[i + 1], sizeof(ov[0]) * (size_t)(nov - i - 1));
	nov--;
}

/* ---- set, unset, revert ---- */

/* "key = value" -> key and value, trimmed. -1 if there is no '=', -2 if
 * the key or the value does not fit (it would be stored cut). */
static int
split_kv(const char *kv, char *key, size_t kcap, char *val, size_t vcap)
{
	const char *eq = strchr(kv, '='), *s, *e;

	if (eq == NULL)
		return -1;
	for (s = kv; *s == ' ' || *s == '\t'; s++)
		;
	for (e = eq; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	if ((size_t)(e - s) >= kcap)
		return -2;
	snprintf(key, kcap, "%.*s", (int)(e - s), s);
	for (s = eq + 1; *s == ' ' || *s == '\t'; s++)
		;
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	if ((size_t)(e - s) >= vcap)
		return -2;
	snprintf(val, vcap, "%.*s", (int)(e - s), s);
	return 0;
}

int
livepol_set(char *const *kvs, int n, uint64_t for_ns, uint64_t now, char *msg, size_t cap)
{
	struct policy_errors *errs = calloc(1, sizeof(*errs));
	struct policy *scratch = malloc(sizeof(*scratch));
	struct strbuf sb;
	struct livepol_change c;
	char key[64], val[256];
	int rc = -1, i, j;

	sb_init_fixed(&sb, msg, cap);
	lp_lock();
	lp_overrides_save();
	if (errs == NULL || scratch == NULL) {
		sb_puts(&sb, "out of memory");
		goto out;
	}
	/* Check every setting before changing anything. */
	*scratch = *livepol_current();
	for (i = 0; i < n; i++) {
		int sr = strlen(kvs[i]) >= sizeof(ov[0].kv) ? -2 :
		    split_kv(kvs[i], key, sizeof(key), val, sizeof(val));

		if (sr == -2) {
			sb_printf(&sb, "'%.40s...' is too long: keys take at most %zu "
			    "characters, values %zu", kvs[i], sizeof(key) - 1, sizeof(val) - 1);
			goto out;
		}
		if (sr < 0) {
			sb_printf(&sb, "expected key=value, got '%s'", kvs[i]);
			goto out;
		}
		for (j = 0; j < (int)(sizeof(fixed_keys) / sizeof(fixed_keys[0])); j++) {
			if (strcmp(key, fixed_keys[j]) == 0) {
				sb_printf(&sb, "%s cannot change while natbox runs%s",
				    key, strcmp(key, "table.max_flows") == 0 ?
				    " (the flow table is allocated once)" : "");
				goto out;
			}
		}
		if (policy_set(scratch, "set", kvs[i], errs) < 0) {
			lp_errs_to_msg(errs, &sb);
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		split_kv(kvs[i], key, sizeof(key), val, sizeof(val));
		if (for_ns == 0) {
			for (j = nov - 1; j >= 0; j--)
				if (strcmp(ov[j].key, key) == 0)
					remove_override(j);
		}
		if (nov == LIVEPOL_OVERRIDES_MAX) {
			sb_printf(&sb, "at most %d runtime overrides; unset some first",
			    LIVEPOL_OVERRIDES_MAX);
			lp_overrides_restore();
			goto out;
		}
		snprintf(ov[nov].kv, sizeof(ov[nov].kv), "%s=%s", key, val);
		snprintf(ov[nov].key, sizeof(ov[nov].key), "%s", key);
		snprintf(ov[nov].value, sizeof(ov[nov].value), "%s", val);
		/* --for takes up to UINT64_MAX ns: never past the end */
		ov[nov].until = for_ns == 0 ? 0 : for_ns > UINT64_MAX - now ? UINT64_MAX :
		    now + for_ns;
		nov++;
	}
	if (lp_rebuild(NULL, "ctl set: profile", msg, cap) < 0)
		goto out;
	sb.len = strlen(msg);
	for (i = 0; i < n; i++) {
		lp_change_init(&c, "set", now);
		split_kv(kvs[i], c.key, sizeof(c.key), c.value, sizeof(c.value));
		c.for_ns = for_ns;
		lp_note_locked(&c);
	}
	if (for_ns) {
		sb_printf(&sb, "; reverts in ");
		sb_secs(&sb, for_ns, 3);
		sb_puts(&sb, "s");
	}
	rc = 0;
out:
	lp_unlock();
	free(errs);
	free(scratch);
	return rc;
}

int
livepol_unset(char *const *keys, int n, bool all, uint64_t now, char *msg, size_t cap)
{
	struct livepol_change c;
	bool found;
	int rc = -1;

	lp_lock();
	lp_overrides_save();
	if (all) {
		nov = 0;
	} else {
		for (int i = 0; i < n; i++) {
			found = false;
			for (int j = nov - 1; j >= 0; j--) {
				if (strcmp(ov[j].key, keys[i]) == 0) {
					remove_override(j);
					found = true;
				}
			}
			if (!found) {
				snprintf(msg, cap, "no runtime override of '%s' "
				    "(`natbox ctl policy` lists them)", keys[i]);
				lp_overrides_restore();
				goto out;
			}
		}
	}
	if (lp_rebuild(NULL, "ctl unset: profile", msg, cap) < 0)
		goto out;
	if (all) {
		lp_change_init(&c, "unset", now);
		snprintf(c.key, sizeof(c.key), "*");
		lp_note_locked(&c);
	}
	for (int i = 0; !all && i < n; i++) {
		lp_change_init(&c, "unset", now);
		snprintf(c.key, sizeof(c.key), "%s", keys[i]);
		lp_note_locked(&c);
	}
	rc = 0;
out:
	lp_unlock();
	return rc;
}

uint64_t
livepol_revert_due(uint64_t now)
{
	struct override done[LIVEPOL_OVERRIDES_MAX];
	struct livepol_change c;
	uint64_t next = 0;
	char msg[1024];
	int ndone = 0, i;

	lp_lock();
	lp_overrides_save();
	for (i = nov - 1; i >= 0; i--) {
		if (ov[i].until && ov[i].until <= now) {
			done[ndone++] = ov[i];
			remove_override(i);
		}
	}
	if (ndone && lp_rebuild(NULL, "ctl set --for ran out: profile", msg, sizeof(msg)) == 0) {
		for (i = ndone - 1; i >= 0; i--) {
			lp_change_init(&c, "revert", now);
			snprintf(c.key, sizeof(c.key), "%s", done[i].key);
			snprintf(c.value, sizeof(c.value), "%s", done[i].value);
			lp_note_locked(&c);
		}
	} else if (ndone) {
		log_warnx("revert after --for failed: %s", msg);
	}
	for (i = 0; i < nov; i++)
		if (ov[i].until && (next == 0 || ov[i].until < next))
			next = ov[i].until;
	lp_unlock();
	return next;
}
