/* opts.c -- the number parser and the options shared by natbox's commands. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "opts.h"

int
get_unsigned(unsigned long long *val, const char *arg,
    unsigned long long lo, unsigned long long hi)
{
	unsigned long long v;
	char *end;

	if (arg == NULL || *arg < '0' || *arg > '9')
		return -1;
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || *end != '\0' || v < lo || v > hi)
		return -1;
	*val = v;
	return 0;
}

int
opt_unsigned(unsigned long long *val, const char *name, const char *arg,
    unsigned long long lo, unsigned long long hi)
{
	if (get_unsigned(val, arg, lo, hi) == 0)
		return 0;
	log_warnx("--%s %s: expected a number %llu..%llu", name, arg, lo, hi);
	return -1;
}

int
get_queues(const char *arg, unsigned *lo, unsigned *hi, unsigned max)
{
	unsigned long long a, b;
	char buf[32], *sep;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	sep = strpbrk(buf, "-:");
	if (sep)
		*sep++ = '\0';
	if (get_unsigned(&a, buf, 0, 65535) < 0)
		return -1;
	b = a;
	if (sep && get_unsigned(&b, sep, a, 65535) < 0)
		return -1;
	if (b - a + 1 > max)
		return -1;
	*lo = (unsigned)a;
	*hi = (unsigned)b;
	return 0;
}

int
opt_format(bool *json, const char *arg)
{
	if (strcmp(arg, "text") == 0)
		*json = false;
	else if (strcmp(arg, "json") == 0)
		*json = true;
	else {
		log_warnx("--format %s: expected text or json", arg);
		return -1;
	}
	return 0;
}

void
opt_profiles_init(struct opt_profiles *op, int argc, unsigned max_specs)
{
	memset(op, 0, sizeof(*op));
	op->max_specs = max_specs;
	op->specs = calloc(max_specs ? max_specs : 1, sizeof(*op->specs));
	op->sets = calloc((size_t)argc + 1, sizeof(*op->sets));
	if (op->specs == NULL || op->sets == NULL)
		fatal("calloc");
}

void
opt_profiles_free(struct opt_profiles *op)
{
	free(op->specs);
	free(op->sets);
	memset(op, 0, sizeof(*op));
}

int
opt_profiles_take(struct opt_profiles *op, int c, const char *arg, const char *cmd)
{
	if (c == 's') {
		op->sets[op->nsets++] = (char *)(uintptr_t)arg;
		return 0;
	}
	if (op->nspecs == op->max_specs) {
		if (op->max_specs == 1)
			log_warnx("%s: one --policy only", cmd);
		else
			log_warnx("%s: at most %u profiles", cmd, op->max_specs);
		return -1;
	}
	op->specs[op->nspecs++] = arg;
	return 0;
}
