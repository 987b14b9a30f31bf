/* fuzz_ctl.c -- libFuzzer target: control request lines through the real
 * dispatcher (ctl_cmd_dispatch: the word splitter, every command's options
 * and filters, set/unset/policy on the live profile) and the real replies,
 * without a daemon or threads: one worker whose mailbox this loop answers
 * from an engine holding a few TCP, UDP and ICMP flows, as the worker
 * thread would (ctl_worker_service), then hands back (ctl_cmd_on_reply).
 *
 * The first byte picks a read-only (--ctl-group) or a full client and how
 * many flows to add; the rest is request lines as a client sends them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "../../src/control/ctl_int.h"
#include "../../src/control/ctl_cmd.h"
#include "engine.h"
#include "livepol.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct ctl *ctl;
static struct ctl_worker *cw;
static struct engine *eng;
static struct livepol_reader reader;

static void
wstats(void *ctx, struct ctl_wstats *o)
{
	(void)ctx;
	memset(o, 0, sizeof(*o));
	o->packets = 42;
}

static void
on_event(void *ctx, const struct event *ev)
{
	(void)ctx;
	ctl_worker_event(cw, eng, ev);
}

/* Flow n: a TCP SYN, a UDP datagram or an ICMP echo request between
 * documentation addresses (headers only, as the live copy). */
static void
add_flow(unsigned n, uint64_t now)
{
	uint8_t b[40] = { 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 198, 51, 100, 2,
		203, 0, 113, 2 };
	uint8_t proto = n % 3 == 0 ? 6 : n % 3 == 1 ? 17 : 1;
	size_t len = proto == 6 ? 40 : 28;
	struct verdict v;

	b[3] = (uint8_t)len;
	b[9] = proto;
	b[19] = (uint8_t)(2 + n % 5);
	b[20] = proto == 1 ? 8 : 0x9c;	/* echo request, or port 40000 + n */
	b[21] = proto == 1 ? 0 : (uint8_t)n;
	b[23] = 80;			/* port 80, or sequence 80 */
	if (proto == 17)
		b[25] = 8;
	if (proto == 1)
		b[25] = (uint8_t)n;	/* identifier */
	if (proto == 6) {
		b[32] = 5 << 4;
		b[33] = 0x02;		/* SYN */
		b[34] = 0xff;
	}
	(void)engine_process(eng, b, len, now, &v);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint64_t seed[2] = { 3, 4 };
	struct engine_ops ops = { on_event, NULL, NULL };

	(void)argc;
	(void)argv;
	log_init(-1, false);
	/* NATBOX_POLICY_PATH names the profiles (make sets it) */
	if (livepol_init("rfc5382", NULL, 0) < 0) {
		fprintf(stderr, "fuzz_ctl: no profile rfc5382 (set NATBOX_POLICY_PATH)\n");
		exit(1);
	}
	livepol_reader_add(&reader);
	ctl = calloc(1, sizeof(*ctl));
	if (ctl == NULL)
		abort();
	ctl->lfd = ctl->stop_fd = -1;
	ctl->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	cw = ctl_worker_add(ctl, 0, livepol_current()->max_flows, 256, wstats, NULL);
	eng = engine_new(livepol_current(), &ops, seed, 1000000000ULL);
	if (ctl->done_fd < 0 || cw == NULL || eng == NULL)
		abort();
	return 0;
}

/* The worker's side of one posted request, then the control thread's. */
static void
serve(struct client *cl, uint64_t now)
{
	const struct policy *p;
	uint64_t v;
	int rounds = 0;

	while (cl->busy) {
		if (rounds++ > 100000)
			abort();	/* a job that never ends */
		if ((p = livepol_reader_poll(&reader)) != NULL)
			(void)engine_set_policy(eng, p);
		cw->req = cl->job.req;
		cw->owner = cl;
		cl->job.waiting = true;
		atomic_store(&cw->state, CTL_MB_POSTED);
		if (!ctl_worker_service(cw, eng, now))
			abort();
		(void)!read(ctl->done_fd, &v, sizeof(v));
		cw->owner = NULL;
		atomic_store(&cw->state, CTL_MB_IDLE);
		ctl_cmd_on_reply(ctl, cl, cw, now);
		if (cl->out.len > CTL_OUT_SOFT)
			sb_reset(&cl->out);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct client cl;
	static uint64_t now = 2000000000ULL;
	char line[CTL_REQUEST_MAX];
	size_t i = 1, k;

	if (size == 0)
		return 0;
	now += 1000000000ULL;
	memset(&cl, 0, sizeof(cl));
	cl.readonly = data[0] & 1;
	for (unsigned n = 0; n < (data[0] >> 1 & 7); n++)
		add_flow((unsigned)(size + n), now);
	(void)engine_expire(eng, now, 64);
	sb_init(&cl.out, CTL_OUT_MAX);
	while (i < size) {
		for (k = 0; i < size && data[i] != '\n' && k < sizeof(line) - 1; i++)
			line[k++] = (char)data[i];
		line[k] = '\0';
		i++;
		ctl_cmd_dispatch(ctl, &cl, line, now);
		serve(&cl, now);
		sb_reset(&cl.out);
	}
	sb_free(&cl.out);
	return 0;
}
