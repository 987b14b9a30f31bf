/* livepol.c -- the profile a running natbox uses: its layers, building and publishing it, reload and switch.
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
 * natbox without bound. The overrides and the log of changes are in
 * livepol_change.c. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "livepol.h"
#include "livepol_int.h"
#include "log.h"
#include "profiles.h"

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
static struct nat_conf nat0;		/* fixed in part: the mapping tables' shape */

static const struct policy *_Atomic cur;
static atomic_uint gen;
static struct kept *kept;
static unsigned nkept;
static struct livepol_reader *readers[LIVEPOL_READERS_MAX];
static unsigned nreaders;

void
lp_lock(void)
{
	pthread_mutex_lock(&lock);
}

void
lp_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

unsigned
lp_generation(void)
{
	return atomic_load(&gen);
}

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
	nat0 = base.nat;
	if (publish(p) < 0)
		fatal("malloc");
	return 0;
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
	lp_overrides_clear();
	atomic_store(&cur, NULL);
	free(base_name);
	base_name = NULL;
}

/* ---- building ---- */

/* The parser's messages start with their origin ("set: "): the client
 * already says which command failed. */
void
lp_errs_to_msg(const struct policy_errors *e, struct strbuf *sb)
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
	if (lp_overrides_apply(p, errs) < 0) {
		free(p);
		return NULL;
	}
	if (p->max_flows != max_flows) {
		errs->count = 1;
		snprintf(errs->msg[0], sizeof(errs->msg[0]),
		    "table.max_flows cannot change while natbox runs (%u -> %u)",
		    max_flows, p->max_flows);
		free(p);
		return NULL;
	}
	if (nat_on(&p->nat) != nat_on(&nat0) ||
	    (nat_on(&p->nat) && !nat_conf_compatible(&nat0, &p->nat))) {
		errs->count = 1;
		snprintf(errs->msg[0], sizeof(errs->msg[0]),
		    "translation's shape cannot change while natbox runs (nat.outside, "
		    "nat.inside, nat.mapping, nat.filtering, nat.ports, nat.port_range, "
		    "nat.parity, nat.pooling, whether nat.ports_per_host is set): restart");
		free(p);
		return NULL;
	}
	return p;
}

int
lp_rebuild(const struct policy *b, const char *what, char *msg, size_t cap)
{
	struct policy_errors *errs = calloc(1, sizeof(*errs));
	struct policy *p, old = *atomic_load(&cur);
	struct strbuf sb, line;
	char lbuf[1024];

	if (b == NULL)
		b = &base;
	sb_init_fixed(&sb, msg, cap);
	if (errs == NULL || (p = build(b, errs)) == NULL || publish(p) < 0) {
		if (errs && errs->count)
			lp_errs_to_msg(errs, &sb);
		else
			sb_puts(&sb, "out of memory");
		lp_overrides_restore();
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

/* ---- reload and switch ---- */

int
livepol_reload(uint64_t now, const char *origin, char *msg, size_t cap)
{
	struct policy_errors *errs = calloc(1, sizeof(*errs));
	struct policy *nb = malloc(sizeof(*nb));
	struct livepol_change c;
	char what[64];
	int rc = -1;

	lp_lock();
	lp_overrides_save();
	if (errs == NULL || nb == NULL) {
		snprintf(msg, cap, "out of memory");
	} else if (profile_load_errs(base_name, cl_sets, ncl_sets, nb, errs) < 0) {
		struct strbuf sb;

		sb_init_fixed(&sb, msg, cap);
		lp_errs_to_msg(errs, &sb);
		sb_printf(&sb, "\nreload of %s failed; keeping profile %s", base_name,
		    atomic_load(&cur)->name);
	} else {
		snprintf(what, sizeof(what), "%s: reloaded profile", origin);
		if (lp_rebuild(nb, what, msg, cap) == 0) {
			base = *nb;
			lp_change_init(&c, "reload", now);
			snprintf(c.value, sizeof(c.value), "%s", base_name);
			lp_note_locked(&c);
			rc = 0;
		}
	}
	lp_unlock();
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

	lp_lock();
	lp_overrides_save();
	if (errs == NULL || nb == NULL || nn == NULL) {
		snprintf(msg, cap, "out of memory");
	} else if (profile_load_errs(name, cl_sets, ncl_sets, nb, errs) < 0) {
		struct strbuf sb;

		sb_init_fixed(&sb, msg, cap);
		lp_errs_to_msg(errs, &sb);
	} else if (lp_rebuild(nb, "ctl policy: switched to profile", msg, cap) == 0) {
		base = *nb;
		free(base_name);
		base_name = nn;
		nn = NULL;
		lp_change_init(&c, "policy", now);
		snprintf(c.value, sizeof(c.value), "%s", name);
		lp_note_locked(&c);
		rc = 0;
	}
	lp_unlock();
	free(nn);
	free(errs);
	free(nb);
	return rc;
}

/* ---- the profile in force, described ---- */

void
livepol_describe(uint64_t now, bool json, struct strbuf *sb)
{
	const struct policy *p;
	size_t need;
	char *text;
	int i;

	lp_lock();
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
		lp_overrides_describe(now, true, sb);
		sb_puts(sb, "],\"profile\":");
		need = policy_format_json(p, NULL, 0) + 1;
	} else {
		sb_printf(sb, "# %s, generation %u, from %s\n", p->name, atomic_load(&gen),
		    base_name);
		for (i = 0; i < ncl_sets; i++)
			sb_printf(sb, "# --set %s (command line)\n", cl_sets[i]);
		lp_overrides_describe(now, false, sb);
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
	lp_unlock();
}
