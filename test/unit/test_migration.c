/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The migration document: a round trip keeps every member, and every
 * malformed document is refused with a message naming what is wrong,
 * leaving the output untouched.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include <CUnit/CUnit.h>
#include <rte_common.h>

#include "svq_state_json.h"
#include "unit.h"

#define F(bit) (UINT64_C(1) << (bit))
#define GUEST_FEATURES (F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_CTRL_VQ) | \
	F(VIRTIO_NET_F_CTRL_RX) | F(VIRTIO_NET_F_CTRL_VLAN) | \
	F(VIRTIO_NET_F_MQ) | F(VIRTIO_NET_F_RSS) | F(VIRTIO_RING_F_EVENT_IDX))
#define DEVICE_FEATURES (GUEST_FEATURES & ~F(VIRTIO_RING_F_EVENT_IDX))

static const struct rte_ether_addr mac = {
	.addr_bytes = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 } };

static struct svq_migration_state mig, mig2;

/* A stopped two-pair port: four data vrings and the control vring. */
static void
make_stopped(struct svq_migration_state *m)
{
	static const uint16_t bases[][2] = {
		{ 3020, 3020 }, { 3000, 3000 }, { 2020, 2020 }, { 65535, 65530 },
		{ 1, 1 },
	};
	uint16_t i;

	memset(m, 0, sizeof(*m));
	m->stopped = true;
	m->queue_pairs = 2;
	m->guest_features = GUEST_FEATURES;
	m->nb_vrings = RTE_DIM(bases);
	for (i = 0; i < m->nb_vrings; i++)
		m->vrings[i] = (struct svq_migration_vring){ .index = i,
			.last_avail = bases[i][0], .used = bases[i][1],
			.state = SVQ_MIGRATION_VRING_STOPPED };
	m->has_device = true;
	svq_net_state_init(&m->device, DEVICE_FEATURES, &mac, 2);
	m->device.vlans[1] = 1;	/* VLAN 64 */
	m->device.n_uc = 1;
	m->device.curr_pairs = 2;
}

static int
round_trip(const struct svq_migration_state *m, struct svq_migration_state *out)
{
	char err[256];
	json_t *j = svq_migration_to_json(m);
	int ret;

	if (j == NULL)
		return -1;
	ret = svq_migration_from_json(j, out, err, sizeof(err));
	if (ret < 0)
		printf("\n    refused: %s\n", err);
	json_decref(j);
	return ret;
}

static void
expect_same(const struct svq_migration_state *a,
		const struct svq_migration_state *b)
{
	CU_ASSERT_EQUAL(a->stopped, b->stopped);
	CU_ASSERT_EQUAL(a->queue_pairs, b->queue_pairs);
	CU_ASSERT_EQUAL(a->guest_features, b->guest_features);
	CU_ASSERT_EQUAL_FATAL(a->nb_vrings, b->nb_vrings);
	CU_ASSERT_EQUAL(memcmp(a->vrings, b->vrings,
		a->nb_vrings * sizeof(a->vrings[0])), 0);
	CU_ASSERT_EQUAL(a->has_device, b->has_device);
	if (a->has_device)
		CU_ASSERT_TRUE(svq_net_state_equal(&a->device, &b->device));
}

static void
test_round_trip(void)
{
	char err[256], path[] = "/tmp/svq-unit-migration-XXXXXX";
	int fd;

	make_stopped(&mig);
	memset(&mig2, 0xa5, sizeof(mig2));
	CU_ASSERT_EQUAL(round_trip(&mig, &mig2), 0);
	expect_same(&mig, &mig2);

	/* A running snapshot, without a device state or a control vring. */
	mig.stopped = false;
	mig.has_device = false;
	mig.nb_vrings = 3;
	mig.vrings[0].state = SVQ_MIGRATION_VRING_RUNNING;
	mig.vrings[1].state = SVQ_MIGRATION_VRING_PASSTHROUGH;
	mig.vrings[2].state = SVQ_MIGRATION_VRING_RUNNING;
	mig.vrings[2].index = 3;
	mig.guest_features &= ~F(VIRTIO_NET_F_CTRL_VQ);
	CU_ASSERT_EQUAL(round_trip(&mig, &mig2), 0);
	expect_same(&mig, &mig2);

	/* No vrings at all: a port whose vrings never started. */
	mig.nb_vrings = 0;
	CU_ASSERT_EQUAL(round_trip(&mig, &mig2), 0);
	expect_same(&mig, &mig2);

	/* Through a file. */
	make_stopped(&mig);
	fd = mkstemp(path);
	close(fd);
	CU_ASSERT_EQUAL(svq_migration_save(&mig, path, err, sizeof(err)), 0);
	memset(&mig2, 0, sizeof(mig2));
	CU_ASSERT_EQUAL(svq_migration_load(path, &mig2, err, sizeof(err)), 0);
	expect_same(&mig, &mig2);
	unlink(path);
}

/* Load @p text; it must be refused naming @p want, mig2 unchanged. */
static void
expect_refused(const char *text, const char *want)
{
	struct svq_migration_state *before = malloc(sizeof(*before));
	char err[256] = "";
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	CU_ASSERT_PTR_NOT_NULL_FATAL(before);
	memset(&mig2, 0x5a, sizeof(mig2));
	memcpy(before, &mig2, sizeof(mig2));
	if (j == NULL) {
		printf("\n    test JSON does not parse: %s\n", text);
		CU_FAIL("test JSON does not parse");
		free(before);
		return;
	}
	CU_ASSERT_EQUAL(svq_migration_from_json(j, &mig2, err, sizeof(err)),
		-EINVAL);
	if (strstr(err, want) == NULL) {
		printf("\n    got '%s', want '%s'\n", err, want);
		CU_FAIL("error message");
	}
	CU_ASSERT_EQUAL(memcmp(before, &mig2, sizeof(mig2)), 0);
	json_decref(j);
	free(before);
}

/* As expect_refused, for mig as written. */
static void
expect_mig_refused(const char *want)
{
	json_t *j = svq_migration_to_json(&mig);
	char *text = json_dumps(j, 0);

	expect_refused(text, want);
	free(text);
	json_decref(j);
}

/* As expect_refused, for a document with member @p key set to @p v. */
static void
expect_member_refused(const char *key, json_t *v, const char *want)
{
	json_t *j;
	char *text;

	make_stopped(&mig);
	j = svq_migration_to_json(&mig);
	json_object_set_new(j, key, v);
	text = json_dumps(j, 0);
	expect_refused(text, want);
	free(text);
	json_decref(j);
}

static void
test_refuses_malformed(void)
{
	static const struct { const char *from, *to, *want; } edits[] = {
		{ "\"schema\": \"svq-relay/migration\"", "\"schema\": \"svq-relay/net-state\"", "a device state alone" },
		{ "\"version\": 1, \"vrings\"", "\"version\": 2, \"vrings\"", "version: this relay reads version 1" },
		{ "\"version\": 1, \"vrings\"", "\"version\": \"1\", \"vrings\"", "version: " },
		{ "\"version\": 1, \"vrings\"", "\"vrings\"", "Object item not found: version" },
		{ "\"port_state\": \"stopped\"", "\"port_state\": \"paused\"", "port_state" },
		{ "\"queue_pairs\": 2, \"schema\"", "\"queue_pairs\": 0, \"schema\"", "queue_pairs: 0 out of range" },
		{ "\"queue_pairs\": 2, \"schema\"", "\"queue_pairs\": true, \"schema\"", "queue_pairs: expected an integer" },
		{ "\"queue_pairs\": 2, \"schema\"", "\"queue_pairs\": 65, \"schema\"", "queue_pairs: 65" },
		{ "\"guest_features\": \"0x", "\"guest_features\": \"0xg", "guest_features" },
		{ "\"guest_features\": \"0x", "\"guest_features\": \"1x", "guest_features: expected a hex string" },
		{ "{\"index\": 0, \"last_avail\": 3020, \"state\": \"stopped\", \"used\": 3020}", "1", "vrings[0]: " },
		{ "\"vrings\": [", "\"vrings\": [{\"index\": 0, \"last_avail\": 0, \"used\": 0, \"state\": \"stopped\"}, ", "at most 5" },
		{ "{\"index\": 0,", "{\"index\": -1,", "vrings[0].index" },
		{ "{\"index\": 4,", "{\"index\": 5,", "vrings[4].index: 5 out of range" },
		{ "{\"index\": 2,", "{\"index\": 1,", "vrings[2].index: 1 after 1" },
		{ "\"last_avail\": 3020,", "\"last_avail\": 65536,", "vrings[0].last_avail" },
		{ "\"used\": 3000}", "\"used\": \"3000\"}", "vrings[1].used: expected an integer" },
		{ "\"last_avail\": 3020, \"state\": \"stopped\", \"used\": 3020",
		  "\"last_avail\": 3020, \"state\": \"stopped\", \"used\": 3020, \"kind\": \"rx\"", "vrings[0]" },
		{ "{\"index\": 0, \"last_avail\": 3020, ", "{\"index\": 0, ", "vrings[0]" },
		{ "\"last_avail\": 2020, \"state\": \"stopped\", \"used\": 2020",
		  "\"last_avail\": 2020, \"state\": \"stopped\", \"used\": 30000", "more than a ring" },
		{ "\"last_avail\": 1, \"state\": \"stopped\"", "\"last_avail\": 1, \"state\": \"gone\"", "vrings[4].state" },
		{ "\"last_avail\": 1, \"state\": \"stopped\"", "\"last_avail\": 1, \"state\": \"running\"", "running in a port_state stopped" },
		{ "\"schema\": \"svq-relay/net-state\"", "\"schema\": \"svq-relay/nets\"", "device_state: schema" },
		{ "\"max_queue_pairs\": 2", "\"max_queue_pairs\": 3", "device_state.max_queue_pairs" },
		{ "\"vlans\": [", "\"vlans\": [4096, ", "device_state: vlans" },
		{ "\"port_state\"", "\"bogus\": 1, \"port_state\"", "bogus" },
	};
	char *good, *bad;
	json_t *j;
	size_t i;

	make_stopped(&mig);
	j = svq_migration_to_json(&mig);
	good = json_dumps(j, JSON_SORT_KEYS);	/* "k": v, one line */
	json_decref(j);
	CU_ASSERT_PTR_NOT_NULL_FATAL(good);

	for (i = 0; i < RTE_DIM(edits); i++) {
		bad = unit_text_edit(good, edits[i].from, edits[i].to);
		if (bad == NULL)
			continue;
		expect_refused(bad, edits[i].want);
		free(bad);
	}
	free(good);

	/* Consistency between members, not visible as one text edit. */
	make_stopped(&mig);
	mig.guest_features &= ~F(VIRTIO_NET_F_CTRL_VQ);
	mig.device.features &= ~F(VIRTIO_NET_F_CTRL_VQ);
	expect_mig_refused("control vring 4 without VIRTIO_NET_F_CTRL_VQ");

	make_stopped(&mig);
	mig.guest_features &= ~F(VIRTIO_NET_F_CTRL_VLAN);
	expect_mig_refused("not a subset of guest_features");

	make_stopped(&mig);
	mig.stopped = false;
	mig.nb_vrings = 1;
	mig.vrings[0].state = SVQ_MIGRATION_VRING_PASSTHROUGH;
	mig.vrings[0].used = 3000;
	expect_mig_refused("passthrough with last_avail 3020, used 3000");

	expect_member_refused("vrings", json_object(), "vrings: expected an array");
	expect_member_refused("device_state", json_integer(7),
		"device_state: expected a state object or null");
	expect_member_refused("port_state", json_null(), "port_state");
	expect_member_refused("schema", json_integer(1), "schema: expected");

	/* Not JSON, or no file. */
	CU_ASSERT_EQUAL(svq_migration_load("/nonexistent/migration.json", &mig2,
		(char[64]){0}, 64), -EINVAL);
	expect_refused("[]", "object");
	expect_refused("{}", "Object item not found");
}

static CU_TestInfo migration_tests[] = {
	{ "migration JSON round trip", test_round_trip },
	{ "migration JSON refuses malformed documents", test_refuses_malformed },
	CU_TEST_INFO_NULL,
};

CU_SuiteInfo unit_suite_migration = {
	"migration document", NULL, NULL, NULL, NULL, migration_tests
};
