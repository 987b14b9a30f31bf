/* livepol.c -- the profile a running natbox uses, and every change to it.
 *
 * The profile in force is built in layers: the base profile (--policy, or
 * `natbox ctl policy`), the command line's --set, then the runtime
 * overrides of `natbox ctl set`, in the order they were made. Every change
 * (SIGHUP or ctl reload, a switch, set, unset, a --for revert) rebuilds it
 * from those layers into a fresh struct and publishes it with one atomic
 * pointer store and a generation bump, as pf and relayd swap a parsed
 * configuration: a bad change never half-applies, and the workers, which
 * only load the pointer at their burst boundaries, never take a lock.
 *
 * Changes come from the main thread (SIGHUP) and the control thread; a
 * mutex orders them. Old profiles are freed once every worker has moved
 * past them (each worker acknowledges the generation it switched to at its
 * next poll), so a script that runs `set` every second does not grow
 * natbox without bound. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiles.h"
#include "livepol.h"
#include "log.h"

struct override {
	char kv[320];		/* "key=value" as given */
	char key[64];
	char value[256];
	uint64_t until;		/* CLOCK_MONOTONIC ns; 0: until unset */
};

struct kept {
	struct policy *p;
	unsigned gen;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *base_name;
static char *const *cl_sets;
static int ncl_sets;
static struct policy base;		/* base profile + --set */
static uint32_t max_flows;		/* fixed: the engines' pools */
static struct override ov[LIVEPOL_OVERRIDES_MAX], ov_saved[LIVEPOL_OVERRIDES_MAX];
static int nov, nov_saved;

static const struct policy *_Atomic cur;
static atomic_uint gen;
static struct kept *kept;
static unsigned nkept;
static struct livepol_reader *readers[LIVEPOL_READERS_MAX];
static unsigned nreaders;

static struct evbuf *eb;
static enum event_format eb_fmt;
static struct livepol_change changes[LIVEPOL_CHANGES];
static uint64_t nchanges;

/* Settings a running natbox cannot take from ctl set. */
static const char *const fixed_keys[] = {
	"name", "description", "source", "inherit", "table.max_flows",
};

/* ---- publication ---- */

static void
reclaim(void)
{
	unsigned oldest = atomic_load(&gen), i, j;
	const struct policy *now = atomic_load(&cur);

	for (i = 0; i < nreaders; i++) {
		unsigned a = atomic_load_explicit(&readers[i]->acked, memory_order_acquire);

		if ((int)(a - oldest) < 0)
			oldest = a;
	}
	/* A reader that acknowledged generation a uses a profile of
	 * generation a or later: everything older is unused. */
	for (i = j = 0; i < nkept; i++) {
		if (kept[i].p != now && (int)(kept[i].gen - oldest) < 0)
			free(kept[i].p);
		else
			kept[j++] = kept[i];
	}
	nkept = j;
}

static int
publish(struct policy *p)
{
	struct kept *nk = realloc(kept, (nkept + 1) * sizeof(*nk));
	unsigned g;

	if (nk == NULL)
		return -1;
	kept = nk;
	g = atomic_load(&gen) + 1;
	kept[nkept].p = p;
	kept[nkept].gen = g;
	nkept++;
	atomic_store_explicit(&cur, p, memory_order_release);
	atomic_store_explicit(&gen, g, memory_order_release);
	reclaim();
	return 0;
}

void
livepol_reader_add(struct livepol_reader *r)
{
	if (nreaders == LIVEPOL_READERS_MAX)
		fatalx("livepol: too many readers");
	r->seen = atomic_load(&gen);
	atomic_store(&r->acked, r->seen);
	readers[nreaders++] = r;
}

const struct policy *
livepol_reader_poll(struct livepol_reader *r)
{
	unsigned g;

	/* Since the last poll the engine has used the profile of r->seen
	 * (or later): say so, then look for a newer one. */
	atomic_store_explicit(&r->acked, r->seen, memory_order_release);
	g = atomic_load_explicit(&gen, memory_order_acquire);
	if (g == r->seen)
		return NULL;
	r->seen = g;
	return atomic_load_explicit(&cur, memory_order_acquire);
}

const struct policy *
livepol_current(void)
{
	return atomic_load(&cur);
}

unsigned
livepol_snapshot(struct policy *out)
{
	unsigned g;

	pthread_mutex_lock(&lock);
	*out = *atomic_load(&cur);
	g = atomic_load(&gen);
	pthread_mutex_unlock(&lock);
	return g;
}

int
livepol_init(const char *name, char *const *sets, int nsets)
{
	struct policy *p;

	if (profile_load(name, sets, nsets, &base) < 0)
		return -1;
	if ((base_name = strdup(name)) == NULL || (p = malloc(sizeof(*p))) == NULL)
		fatal("malloc");
	*p = base;
	cl_sets = sets;
	ncl_sets = nsets;
	max_flows = base.max_flows;
	if (publish(p) < 0)
		fatal("malloc");
	return 0;
}

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

void
livepol_free(void)
{
	livepol_set_sink(NULL);
	for (unsigned i = 0; i < nkept; i++)
		free(kept[i].p);
	free(kept);
	kept = NULL;
	nkept = 0;
	nreaders = 0;
	nov = 0;
	atomic_store(&cur, NULL);
	free(base_name);
	base_name = NULL;
}

/* ---- the log of changes ---- */

void
livepol_change_format(const struct livepol_change *c, enum event_format fmt,
    struct strbuf *sb)
{
	bool json = fmt == EVF_JSON;

	if (json) {
		sb_puts(sb, "{\"ts\":");
		sb_secs(sb, c->ts, 6);
		sb_printf(sb, ",\"event\":\"control\",\"change\":\"%s\"", c->change);
		if (c->key[0]) {
			sb_puts(sb, ",\"key\":");
			sb_json_str(sb, c->key);
		}
		if (c->value[0]) {
			sb_printf(sb, ",\"%s\":", c->flows >= 0 ? "filter" : "value");
			sb_json_str(sb, c->value);
		}
		if (c->for_ns) {
			sb_puts(sb, ",\"for\":");
			sb_secs(sb, c->for_ns, 3);
		}
		if (c->flows >= 0)
			sb_printf(sb, ",\"flows\":%" PRId64, c->flows);
		sb_puts(sb, ",\"profile\":");
		sb_json_str(sb, c->profile);
		sb_printf(sb, ",\"generation\":%u}\n", c->gen);
		return;
	}
	sb_puts(sb, "[CONTROL] ts=");
	sb_secs(sb, c->ts, 6);
	sb_printf(sb, " change=%s", c->change);
	if (c->key[0])
		sb_printf(sb, " key=%s", c->key);
	if (c->value[0]) {
		const char *k = c->flows >= 0 ? "filter" : "value";

		/* A filter or a path may hold spaces: quote it then, with
		 * its quotes and backslashes escaped. */
		if (strpbrk(c->value, " \t\"\\")) {
			sb_printf(sb, " %s=\"", k);
			for (const char *v = c->value; *v != '\0'; v++) {
				if (*v == '"' || *v == '\\')
					sb_put(sb, "\\", 1);
				sb_put(sb, v, 1);
			}
			sb_puts(sb, "\"");
		} else {
			sb_printf(sb, " %s=%s", k, c->value);
		}
	}
	if (c->for_ns) {
		sb_puts(sb, " for=");
		sb_secs(sb, c->for_ns, 3);
		sb_puts(sb, "s");
	}
	if (c->flows >= 0)
		sb_printf(sb, " flows=%" PRId64, c->flows);
	sb_printf(sb, " profile=%s generation=%u\n", c->profile, c->gen);
}

/* Under the lock. */
static void
note_locked(struct livepol_change *c)
{
	const struct policy *p = atomic_load(&cur);

	snprintf(c->profile, sizeof(c->profile), "%s", p->name);
	c->gen = atomic_load(&gen);
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

static void
change_init(struct livepol_change *c, const char *what, uint64_t now)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->change, sizeof(c->change), "%s", what);
	c->ts = now;
	c->flows = -1;
}

void
livepol_note(struct livepol_change *c)
{
	pthread_mutex_lock(&lock);
	note_locked(c);
	pthread_mutex_unlock(&lock);
}

unsigned
livepol_changes(uint64_t from, uint64_t to, struct livepol_change *out, unsigned max)
{
	unsigned n = 0;
	uint64_t i;

	pthread_mutex_lock(&lock);
	for (i = nchanges > LIVEPOL_CHANGES ? nchanges - LIVEPOL_CHANGES : 0;
	    i < nchanges && n < max; i++) {
		const struct livepol_change *c = &changes[i % LIVEPOL_CHANGES];

		if (c->ts >= from && c->ts <= to)
			out[n++] = *c;
	}
	pthread_mutex_unlock(&lock);
	return n;
}

/* ---- building ---- */

/* The parser's messages start with their origin ("set: "): the client
 * already says which command failed. */
static void
errs_to_msg(const struct policy_errors *e, struct strbuf *sb)
{
	for (unsigned i = 0; i < e->count && i < 32; i++) {
		const char *m = e->msg[i];

		if (strncmp(m, "set: ", 5) == 0)
			m += 5;
		sb_printf(sb, "%s%s", i ? "\n" : "", m);
	}
	if (e->count > 32)
		sb_printf(sb, "\n... and %u more errors", e->count - 32);
}

/* Every setting whose value differs between a and b, as "key a -> b",
 * separated by sep (matched by key: the formatter leaves empty fields out). */
static void
diff(const struct policy *a, const struct policy *b, const char *sep, struct strbuf *sb)
{
	size_t na = policy_format(a, NULL, 0) + 1, nb = policy_format(b, NULL, 0) + 1;
	char *ta = malloc(na), *tb = malloc(nb), *sa, *la;
	unsigned n = 0;

	if (ta == NULL || tb == NULL) {
		free(ta);
		free(tb);
		return;
	}
	policy_format(a, ta, na);
	policy_format(b, tb, nb);
	if (strcmp(a->name, b->name) != 0) {
		sb_printf(sb, "profile %s -> %s", a->name, b->name);
		n++;
	}
	for (la = strtok_r(ta, "\n", &sa); la; la = strtok_r(NULL, "\n", &sa)) {
		const char *eq = strstr(la, " = "), *lb, *vb;
		size_t klen;

		if (la[0] == '#' || eq == NULL)
			continue;
		klen = (size_t)(eq - la);
		if ((klen == 4 && !strncmp(la, "name", 4)) ||
		    (klen == 11 && !strncmp(la, "description", 11)) ||
		    (klen == 6 && !strncmp(la, "source", 6)) ||
		    (klen == 7 && !strncmp(la, "inherit", 7)))
			continue;
		/* The same key at a line start in b. */
		for (lb = tb; lb; lb = (lb = strchr(lb, '\n')) ? lb + 1 : NULL)
			if (strncmp(lb, la, klen + 3) == 0)
				break;
		vb = lb ? lb + klen + 3 : "(unset)";
		if (strncmp(vb, eq + 3, strlen(eq + 3)) == 0 &&
		    (vb[strlen(eq + 3)] == '\n' || vb[strlen(eq + 3)] == '\0'))
			continue;
		sb_printf(sb, "%s%.*s %s -> %.*s", n ? sep : "", (int)klen, la, eq + 3,
		    (int)strcspn(vb, "\n"), vb);
		n++;
	}
	if (n == 0)
		sb_puts(sb, "no setting changed");
	free(ta);
	free(tb);
}

/* The profile from a base and the overrides now listed. NULL with errs. */
static struct policy *
build(const struct policy *b, struct policy_errors *errs)
{
	struct policy *p = malloc(sizeof(*p));

	if (p == NULL) {
		errs->count = 1;
		snprintf(errs->msg[0], sizeof(errs->msg[0]), "out of memory");
		return NULL;
	}
	*p = *b;
	for (int i = 0; i < nov; i++) {
		if (policy_set(p, "ctl set", ov[i].kv, errs) < 0) {
			free(p);
			return NULL;
		}
	}
	if (p->max_flows != max_flows) {
		errs->count = 1;
		snprintf(errs->msg[0], sizeof(errs->msg[0]),
		    "table.max_flows cannot change while natbox runs (%u -> %u)",
		    max_flows, p->max_flows);
		free(p);
		return NULL;
	}
	return p;
}

/* Build from b, publish, and describe the change in msg (and in the log
 * as "WHAT NAME, generation N: what changed"). Under the lock. On failure the override list is restored
 * from ov_saved. */
static int
rebuild(const struct policy *b, const char *what, char *msg, size_t cap)
{
	struct policy_errors *errs = calloc(1, sizeof(*errs));
	struct policy *p, old = *atomic_load(&cur);
	struct strbuf sb, line;
	char lbuf[1024];

	sb_init_fixed(&sb, msg, cap);
	if (errs == NULL || (p = build(b, errs)) == NULL || publish(p) < 0) {
		if (errs && errs->count)
			errs_to_msg(errs, &sb);
		else
			sb_puts(&sb, "out of memory");
		memcpy(ov, ov_saved, sizeof(ov[0]) * (size_t)nov_saved);
		nov = nov_saved;
		free(errs);
		return -1;
	}
	free(errs);
	sb_init_fixed(&line, lbuf, sizeof(lbuf));
	diff(&old, p, ", ", &line);
	log_notice("%s %s, generation %u: %s", what, p->name, atomic_load(&gen), lbuf);
	sb_printf(&sb, "%s, generation %u: ", p->name, atomic_load(&gen));
	diff(&old, p, ", ", &sb);
	return 0;
}

static void
save_overrides(void)
{
	memcpy(ov_saved, ov, sizeof(ov[0]) * (size_t)nov);
	nov_saved = nov;
}

static void
remove_override(int i)
{
	memmove(&ov[i], &ov[i + 1], sizeof(ov[0]) * (size_t)(nov - i - 1));
	nov--;
}

/* ---- changes ---- */

int
livepol_reload(uint64_t now, const char *origin, char *msg, size_t cap)
{
	struct policy_errors *errs = calloc(1, sizeof(*errs));
	struct policy *nb = malloc(sizeof(*nb));
	struct livepol_change c;
	char what[64];
	int rc = -1;

	pthread_mutex_lock(&lock);
	save_overrides();
	if (errs == NULL || nb == NULL) {
		snprintf(msg, cap, "out of memory");
	} else if (profile_load_errs(base_name, cl_sets, ncl_sets, nb, errs) < 0) {
		struct strbuf sb;

		sb_init_fixed(&sb, msg, cap);
		errs_to_msg(errs, &sb);
		sb_printf(&sb, "\nreload of %s failed; keeping profile %s", base_name,
		    atomic_load(&cur)->name);
	} else {
		snprintf(what, sizeof(what), "%s: reloaded profile", origin);
		if (rebuild(nb, what, msg, cap) == 0) {
			base = *nb;
			change_init(&c, "reload", now);
			snprintf(c.value, sizeof(c.value), "%s", base_name);
			note_locked(&c);
			rc = 0;
		}
	}
	pthread_mutex_unlock(&lock);
	free(errs);
	free(nb);
	return rc;
}

int
livepol_switch(const char *name, uint64_t now, char *msg, size_t cap)
{
	struct policy_errors *errs = calloc(1, sizeof(*errs));
	struct policy *nb = malloc(sizeof(*nb));
	struct livepol_change c;
	char *nn = strdup(name);
	int rc = -1;

	pthread_mutex_lock(&lock);
	save_overrides();
	if (errs == NULL || nb == NULL || nn == NULL) {
		snprintf(msg, cap, "out of memory");
	} else if (profile_load_errs(name, cl_sets, ncl_sets, nb, errs) < 0) {
		struct strbuf sb;

		sb_init_fixed(&sb, msg, cap);
		errs_to_msg(errs, &sb);
	} else if (rebuild(nb, "ctl policy: switched to profile", msg, cap) == 0) {
		base = *nb;
		free(base_name);
		base_name = nn;
		nn = NULL;
		change_init(&c, "policy", now);
		snprintf(c.value, sizeof(c.value), "%s", name);
		note_locked(&c);
		rc = 0;
	}
	pthread_mutex_unlock(&lock);
	free(nn);
	free(errs);
	free(nb);
	return rc;
}

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
	pthread_mutex_lock(&lock);
	save_overrides();
	if (errs == NULL || scratch == NULL) {
		sb_puts(&sb, "out of memory");
		goto out;
	}
	/* Check every setting before changing anything. */
	*scratch = *atomic_load(&cur);
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
			errs_to_msg(errs, &sb);
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
			memcpy(ov, ov_saved, sizeof(ov[0]) * (size_t)nov_saved);
			nov = nov_saved;
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
	if (rebuild(&base, "ctl set: profile", msg, cap) < 0)
		goto out;
	sb.len = strlen(msg);
	for (i = 0; i < n; i++) {
		change_init(&c, "set", now);
		split_kv(kvs[i], c.key, sizeof(c.key), c.value, sizeof(c.value));
		c.for_ns = for_ns;
		note_locked(&c);
	}
	if (for_ns) {
		sb_printf(&sb, "; reverts in ");
		sb_secs(&sb, for_ns, 3);
		sb_puts(&sb, "s");
	}
	rc = 0;
out:
	pthread_mutex_unlock(&lock);
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

	pthread_mutex_lock(&lock);
	save_overrides();
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
				nov = nov_saved;
				memcpy(ov, ov_saved, sizeof(ov[0]) * (size_t)nov);
				goto out;
			}
		}
	}
	if (rebuild(&base, "ctl unset: profile", msg, cap) < 0)
		goto out;
	if (all) {
		change_init(&c, "unset", now);
		snprintf(c.key, sizeof(c.key), "*");
		note_locked(&c);
	}
	for (int i = 0; !all && i < n; i++) {
		change_init(&c, "unset", now);
		snprintf(c.key, sizeof(c.key), "%s", keys[i]);
		note_locked(&c);
	}
	rc = 0;
out:
	pthread_mutex_unlock(&lock);
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

	pthread_mutex_lock(&lock);
	save_overrides();
	for (i = nov - 1; i >= 0; i--) {
		if (ov[i].until && ov[i].until <= now) {
			done[ndone++] = ov[i];
			remove_override(i);
		}
	}
	if (ndone && rebuild(&base, "ctl set --for ran out: profile", msg, sizeof(msg)) == 0) {
		for (i = ndone - 1; i >= 0; i--) {
			change_init(&c, "revert", now);
			snprintf(c.key, sizeof(c.key), "%s", done[i].key);
			snprintf(c.value, sizeof(c.value), "%s", done[i].value);
			note_locked(&c);
		}
	} else if (ndone) {
		log_warnx("revert after --for failed: %s", msg);
	}
	for (i = 0; i < nov; i++)
		if (ov[i].until && (next == 0 || ov[i].until < next))
			next = ov[i].until;
	pthread_mutex_unlock(&lock);
	return next;
}

void
livepol_describe(uint64_t now, bool json, struct strbuf *sb)
{
	const struct policy *p;
	size_t need;
	char *text;
	int i;

	pthread_mutex_lock(&lock);
	p = atomic_load(&cur);
	if (json) {
		sb_printf(sb, "{\"generation\":%u,\"base\":", atomic_load(&gen));
		sb_json_str(sb, base_name);
		sb_puts(sb, ",\"sets\":[");
		for (i = 0; i < ncl_sets; i++) {
			sb_puts(sb, i ? "," : "");
			sb_json_str(sb, cl_sets[i]);
		}
		sb_puts(sb, "],\"overrides\":[");
		for (i = 0; i < nov; i++) {
			sb_puts(sb, i ? ",{\"key\":" : "{\"key\":");
			sb_json_str(sb, ov[i].key);
			sb_puts(sb, ",\"value\":");
			sb_json_str(sb, ov[i].value);
			if (ov[i].until) {
				sb_puts(sb, ",\"reverts_in\":");
				sb_secs(sb, ov[i].until > now ? ov[i].until - now : 0, 3);
			}
			sb_puts(sb, "}");
		}
		sb_puts(sb, "],\"profile\":");
		need = policy_format_json(p, NULL, 0) + 1;
	} else {
		sb_printf(sb, "# %s, generation %u, from %s\n", p->name, atomic_load(&gen),
		    base_name);
		for (i = 0; i < ncl_sets; i++)
			sb_printf(sb, "# --set %s (command line)\n", cl_sets[i]);
		for (i = 0; i < nov; i++) {
			sb_printf(sb, "# ctl set %s", ov[i].kv);
			if (ov[i].until) {
				sb_puts(sb, " (reverts in ");
				sb_secs(sb, ov[i].until > now ? ov[i].until - now : 0, 1);
				sb_puts(sb, "s)");
			}
			sb_puts(sb, "\n");
		}
		need = policy_format(p, NULL, 0) + 1;
	}
	if ((text = malloc(need)) != NULL) {
		size_t n = json ? policy_format_json(p, text, need) : policy_format(p, text, need);

		/* Drop the formatter's own "# NAME, resolved" heading. */
		if (!json && text[0] == '#' && strchr(text, '\n'))
			sb_puts(sb, strchr(text, '\n') + 1);
		else
			sb_put(sb, text, n);
		free(text);
	}
	if (json) {
		while (sb->len && sb->buf[sb->len - 1] == '\n')
			sb->buf[--sb->len] = '\0';
		sb_puts(sb, "}\n");
	}
	pthread_mutex_unlock(&lock);
}
