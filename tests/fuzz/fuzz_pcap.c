/* fuzz_pcap.c -- libFuzzer target: the capture reader on arbitrary files.
 * The input is written to a regular file (as replay reads one: natbox's
 * own record reader for classic pcap, libpcap for pcapng) and read to its
 * end or its damage; every IP packet found is decoded. The first byte
 * picks the reader (NATBOX_PCAP_READER=libpcap or natbox's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "pcapin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char path[64];
static int fd = -1;

static void
remove_file(void)
{
	unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "/tmp/natbox-fuzz-pcap.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0) {
		perror("fuzz_pcap: mkstemp");
		exit(1);
	}
	atexit(remove_file);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcapin *in;
	struct pcapin_pkt pk;
	struct nb_packet p;
	char err[256];
	int r, frames = 0;

	if (size < 1)
		return 0;
	/* one file per process, rewritten for each input (removed at exit) */
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data + 1, size - 1, 0) != (ssize_t)(size - 1))
		abort();
	if (data[0] & 1)
		setenv("NATBOX_PCAP_READER", "libpcap", 1);
	else
		unsetenv("NATBOX_PCAP_READER");
	in = pcapin_open(path, err, sizeof(err));
	if (in == NULL)
		return 0;
	(void)pcapin_linkname(in);
	(void)pcapin_format(in);
	while ((r = pcapin_next(in, &pk)) == 1 && frames++ < 100000) {
		if (pk.l3 == PL_IP) {
			if (pk.l3off > pk.caplen)
				abort();
			(void)decode_packet(pk.frame + pk.l3off, pk.caplen - pk.l3off, &p);
		}
	}
	if (r < 0 && pcapin_error(in) == NULL)
		abort();
	pcapin_close(in);
	return 0;
}
