/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Threat model: the guest writes its control ring and command buffers at
 * any time. Each chain is walked with every index, length and address
 * checked, and the command is copied out of guest memory before it is
 * parsed, so what is validated is what the device receives (no
 * time-of-check/time-of-use). A malformed chain stops the control queue;
 * a malformed command is answered VIRTIO_NET_ERR and never reaches the
 * device. The device's answers are read from relay memory and the ids it
 * returns are checked.
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/eventfd.h>
#include <linux/virtio_net.h>

#include <rte_cycles.h>
#include <rte_pause.h>

#include "svq_ctrl.h"
#include "svq_log.h"
#include "svq_replay.h"

/* Layout of the device-visible area: the relay's ring, one ack byte per
 * slot, the guest command buffer, the replay slots. */
#define SVQ_CTRL_ACK_OFF \
	RTE_ALIGN_CEIL(svq_shadow_ring_bytes(SVQ_CTRL_RING_SIZE), RTE_CACHE_LINE_SIZE)
#define SVQ_CTRL_CMD_OFF \
	RTE_ALIGN_CEIL(SVQ_CTRL_ACK_OFF + SVQ_CTRL_SLOTS, RTE_CACHE_LINE_SIZE)
#define SVQ_CTRL_SLOT_OFF (SVQ_CTRL_CMD_OFF + SVQ_CTRL_CMD_MAX)

/* How long a device may take to answer a batch. */
#define SVQ_CTRL_TIMEOUT_MS 1000
#define SVQ_CTRL_ACK_UNSET 0xff

size_t
svq_ctrl_area_bytes(void)
{
	return SVQ_CTRL_SLOT_OFF + SVQ_CTRL_SLOTS * SVQ_CTRL_SLOT_BYTES;
}

void
svq_ctrl_init(struct svq_ctrl *c, const char *name,
		struct svq_queue_stats *stats, struct svq_net_state *state,
		rte_spinlock_t *state_lock, uint8_t *area, uint64_t area_iova)
{
	c->name = name;
	c->stats = stats;
	c->state = state;
	c->state_lock = state_lock;
	c->area = area;
	c->area_iova = area_iova;
	c->guest_callfd = -1;
}

static void __rte_cold
svq_ctrl_fault(struct svq_ctrl *c, enum svq_shadow_fault fault,
		const char *what, unsigned int value)
{
	c->fault = fault;
	if (fault == SVQ_FAULT_GUEST)
		c->stats->guest_errors++;
	else
		c->stats->device_errors++;
	SVQ_LOG(cvq, ERR, "%s: %s %s (%u); control queue stopped until reset",
		c->name, fault == SVQ_FAULT_GUEST ? "guest" : "device", what,
		value);
}

/* ---- the relay's ring to the device --------------------------------- */

int
svq_ctrl_device_start(struct svq_ctrl *c, struct svq_device *dev,
		uint16_t qid, const struct svq_cvq_limits *limits)
{
	const uint16_t size = SVQ_CTRL_RING_SIZE;
	int ret;

	c->dev = dev;
	c->dev_qid = qid;
	c->limits = *limits;
	memset(c->area, 0, svq_shadow_ring_bytes(size));
	c->shadow.desc = (struct vring_desc *)c->area;
	c->shadow.avail = (struct vring_avail *)(c->area +
			svq_shadow_avail_offset(size));
	c->shadow.used = (struct vring_used *)(c->area +
			svq_shadow_used_offset(size));
	/* The relay polls for answers. */
	c->shadow.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	c->shadow_avail = 0;
	c->shadow_last_used = 0;
	c->pending = false;

	ret = dev->ops->set_vring_num(dev, qid, size);
	if (ret == 0)
		ret = dev->ops->set_vring_addr(dev, qid, c->area_iova,
				c->area_iova + svq_shadow_avail_offset(size),
				c->area_iova + svq_shadow_used_offset(size));
	if (ret == 0)
		ret = dev->ops->set_vring_base(dev, qid, 0);
	if (ret == 0)
		ret = dev->ops->set_vring_enable(dev, qid, true);
	return ret;
}

void
svq_ctrl_emulate_start(struct svq_ctrl *c, const struct svq_cvq_limits *limits,
		void (*pairs_changed)(void *arg), void *arg)
{
	c->dev = NULL;
	c->limits = *limits;
	c->pending = false;
	c->pairs_changed = pairs_changed;
	c->pairs_arg = arg;
}

/* Queue one command (at @p cmd_off in the area) with the ack byte of
 * @p slot, on descriptors 2 * slot and 2 * slot + 1. */
static void
svq_ctrl_post(struct svq_ctrl *c, uint16_t slot, size_t cmd_off, uint32_t len)
{
	struct vring_desc *d = &c->shadow.desc[2 * slot];

	c->area[SVQ_CTRL_ACK_OFF + slot] = SVQ_CTRL_ACK_UNSET;
	d[0].addr = c->area_iova + cmd_off;
	d[0].len = len;
	d[0].flags = VRING_DESC_F_NEXT;
	d[0].next = 2 * slot + 1;
	d[1].addr = c->area_iova + SVQ_CTRL_ACK_OFF + slot;
	d[1].len = 1;
	d[1].flags = VRING_DESC_F_WRITE;
	d[1].next = 0;
	c->shadow.avail->ring[c->shadow_avail++ & (SVQ_CTRL_RING_SIZE - 1)] =
		2 * slot;
}

static void
svq_ctrl_publish(struct svq_ctrl *c)
{
	/* Release: descriptors and avail entries before the index; pairs
	 * with the device's acquire load of avail->idx. */
	__atomic_store_n(&c->shadow.avail->idx, c->shadow_avail,
			__ATOMIC_RELEASE);
	if (svq_ring_device_wants_kick(&c->shadow)) {
		c->dev->ops->kick(c->dev, c->dev_qid);
		c->stats->device_kicks++;
	}
}

/* Take one answer from the device. @return the slot, or -1 if none yet. */
static int
svq_ctrl_reap(struct svq_ctrl *c)
{
	/* Acquire: pairs with the device's release store of used->idx; the
	 * ack byte it wrote is visible after this. */
	uint16_t used = __atomic_load_n(&c->shadow.used->idx, __ATOMIC_ACQUIRE);
	uint32_t id;

	if (used == c->shadow_last_used)
		return -1;
	if ((uint16_t)(used - c->shadow_last_used) >
			(uint16_t)(c->shadow_avail - c->shadow_last_used)) {
		svq_ctrl_fault(c, SVQ_FAULT_DEVICE, "answered more than asked", used);
		return -1;
	}
	id = c->shadow.used->ring[c->shadow_last_used & (SVQ_CTRL_RING_SIZE - 1)].id;
	c->shadow_last_used++;
	if (id >= SVQ_CTRL_RING_SIZE || id % 2 != 0) {
		svq_ctrl_fault(c, SVQ_FAULT_DEVICE, "answered an id never sent", id);
		return -1;
	}
	return id / 2;
}

int
svq_ctrl_replay(struct svq_ctrl *c, const struct svq_net_state *target,
		const char **failed)
{
	struct svq_cvq_cmd cmd;
	struct svq_replay plan;
	struct { uint8_t class, cmd; } sent_as[SVQ_CTRL_SLOTS];
	uint64_t timeout = rte_get_tsc_hz() / 1000 * SVQ_CTRL_TIMEOUT_MS;
	bool more = true;
	int total = 0;

	if (c->dev == NULL)
		more = false;	/* the relay is the device: nothing to send */
	else
		svq_replay_init(&plan, target);
	while (more) {
		uint16_t n = 0, done = 0, i;
		uint64_t deadline;

		/* Fill every slot, then wait for the whole batch. */
		while (n < SVQ_CTRL_SLOTS && (more = svq_replay_next(&plan, &cmd))) {
			size_t off = SVQ_CTRL_SLOT_OFF + (size_t)n * SVQ_CTRL_SLOT_BYTES;
			int len = svq_cvq_encode(&cmd, c->area + off,
					SVQ_CTRL_SLOT_BYTES);

			if (len < 0)
				return len;
			sent_as[n].class = cmd.class;
			sent_as[n].cmd = cmd.cmd;
			svq_ctrl_post(c, n, off, len);
			n++;
		}
		if (n == 0)
			break;
		svq_ctrl_publish(c);
		deadline = rte_get_tsc_cycles() + timeout;
		while (done < n) {
			if (c->dev->ops->poll != NULL)
				c->dev->ops->poll(c->dev, c->dev_qid);
			while (svq_ctrl_reap(c) >= 0)
				done++;
			if (c->fault != SVQ_FAULT_NONE)
				return -EIO;
			if (done < n && rte_get_tsc_cycles() > deadline)
				return -ETIMEDOUT;
			rte_pause();
		}
		for (i = 0; i < n; i++) {
			if (c->area[SVQ_CTRL_ACK_OFF + i] != VIRTIO_NET_OK) {
				*failed = svq_cvq_cmd_name(sent_as[i].class,
						sent_as[i].cmd);
				return -EIO;
			}
		}
		total += n;
	}

	/* The device now holds exactly the target state. */
	rte_spinlock_lock(c->state_lock);
	*c->state = *target;
	rte_spinlock_unlock(c->state_lock);
	return total;
}

/* ---- the guest's control ring --------------------------------------- */

void
svq_ctrl_guest_start(struct svq_ctrl *c, const struct svq_ring *guest,
		uint16_t size, const struct svq_mem_map *mem, uint16_t last_avail,
		uint16_t last_used, bool event_idx, int callfd)
{
	c->guest = *guest;
	c->guest_size = size;
	c->mem = mem;
	c->guest_last_avail = last_avail;
	c->guest_used = last_used;
	c->event_idx = event_idx;
	c->guest_callfd = callfd;
	c->fault = SVQ_FAULT_NONE;
	c->pending = false;
	c->guest_running = true;
}

void
svq_ctrl_set_log(struct svq_ctrl *c, const struct svq_dirty_log *log)
{
	svq_dirty_log_set(&c->log, log);
}

/* Write the ack and return the chain to the guest. */
static void
svq_ctrl_answer(struct svq_ctrl *c, uint16_t head, uint8_t *ack,
		uint64_t ack_gpa, uint8_t status)
{
	struct svq_log_acc acc = { .mask = 0 };
	struct vring_used_elem *e;
	uint16_t old = c->guest_used;

	*ack = status;
	e = &c->guest.used->ring[c->guest_used & (c->guest_size - 1)];
	e->id = head;
	e->len = 1;
	c->guest_used++;
	if (c->log.bitmap != NULL) {
		/* Logged before the index exposes them, as for data. */
		svq_log_range(&c->log, &acc, ack_gpa, 1);
		svq_log_used(&c->log, &acc, c->guest_size, old, c->guest_used);
		svq_log_flush(&c->log, &acc);
	}
	/* Release: the ack and the element before the index; pairs with the
	 * driver's read barrier after loading used->idx. */
	__atomic_store_n(&c->guest.used->idx, c->guest_used, __ATOMIC_RELEASE);
	if (c->log.bitmap != NULL) {
		svq_log_used_idx(&c->log, &acc);
		svq_log_flush(&c->log, &acc);
	}
	c->stats->used_chains++;
	c->stats->used_bytes++;
	if (c->guest_callfd >= 0 && svq_ring_guest_wants_call(&c->guest,
			c->guest_size, c->event_idx, old, c->guest_used)) {
		eventfd_write(c->guest_callfd, 1);
		c->stats->guest_calls++;
	}
}

/* Copy guest bytes [gpa, gpa + len) out, region by region. */
static void
svq_ctrl_copy_in(struct svq_ctrl *c, uint8_t *dst, uint64_t gpa, uint32_t len)
{
	while (len != 0) {
		uint64_t chunk = len;
		const void *src = svq_mem_gpa_to_hva(c->mem, gpa, &chunk);

		/* The range was validated: every byte is in a region. */
		memcpy(dst, src, chunk);
		dst += chunk;
		gpa += chunk;
		len -= chunk;
	}
}

/*
 * Copy the device-readable part of the chain at @p head into cmd_copy and
 * find the first writable byte for the ack.
 * @return 0, -E2BIG when the command is longer than the relay accepts
 *   (answered ERR), or -EINVAL when the chain is malformed (queue stops).
 */
static int
svq_ctrl_take_chain(struct svq_ctrl *c, uint16_t head, uint32_t *len,
		uint8_t **ack, uint64_t *ack_gpa)
{
	uint16_t idx = head, visited = 0;
	bool seen_writable = false, too_long = false;
	uint32_t copied = 0;

	*ack = NULL;
	for (;;) {
		const volatile struct vring_desc *gd;
		struct vring_desc d;

		if (idx >= c->guest_size) {
			svq_ctrl_fault(c, SVQ_FAULT_GUEST, "descriptor index out of range", idx);
			return -EINVAL;
		}
		if (visited++ == c->guest_size) {
			svq_ctrl_fault(c, SVQ_FAULT_GUEST, "chain loops", head);
			return -EINVAL;
		}
		gd = &c->guest.desc[idx];
		d.addr = gd->addr;
		d.len = gd->len;
		d.flags = gd->flags;
		d.next = gd->next;
		if (d.flags & VRING_DESC_F_INDIRECT) {
			svq_ctrl_fault(c, SVQ_FAULT_GUEST, "indirect descriptor", idx);
			return -EINVAL;
		}
		if (!svq_mem_gpa_range_valid(c->mem, d.addr, d.len)) {
			svq_ctrl_fault(c, SVQ_FAULT_GUEST, "buffer outside guest memory", idx);
			return -EINVAL;
		}
		if (d.flags & VRING_DESC_F_WRITE) {
			if (*ack == NULL && d.len != 0) {
				uint64_t one = 1;

				*ack = svq_mem_gpa_to_hva(c->mem, d.addr, &one);
				*ack_gpa = d.addr;
			}
			seen_writable = true;
		} else if (seen_writable) {
			svq_ctrl_fault(c, SVQ_FAULT_GUEST, "readable after writable", idx);
			return -EINVAL;
		} else if (d.len > SVQ_CTRL_CMD_MAX - copied) {
			too_long = true;
		} else {
			svq_ctrl_copy_in(c, c->cmd_copy + copied, d.addr, d.len);
			copied += d.len;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		idx = d.next;
	}
	if (*ack == NULL) {
		svq_ctrl_fault(c, SVQ_FAULT_GUEST, "no writable byte for the ack", head);
		return -EINVAL;
	}
	*len = copied;
	return too_long ? -E2BIG : 0;
}

static void
svq_ctrl_finish_pending(struct svq_ctrl *c)
{
	uint8_t status;

	if (svq_ctrl_reap(c) < 0)
		return;
	status = c->area[SVQ_CTRL_ACK_OFF];
	if (status == VIRTIO_NET_OK) {
		rte_spinlock_lock(c->state_lock);
		svq_net_state_apply(c->state, &c->pending_cmd);
		rte_spinlock_unlock(c->state_lock);
	} else {
		status = VIRTIO_NET_ERR;
		SVQ_LOG(cvq, INFO, "%s: device refused %s", c->name,
			svq_cvq_cmd_name(c->pending_cmd.class, c->pending_cmd.cmd));
	}
	c->pending = false;
	svq_ctrl_answer(c, c->pending_head, c->pending_ack, c->pending_ack_gpa,
		status);
}

static void
svq_ctrl_take_next(struct svq_ctrl *c)
{
	uint16_t avail, head;
	const char *why = "";
	uint32_t len = 0;
	uint64_t ack_gpa = 0;
	uint8_t *ack;
	int ret;

	/* Acquire: pairs with the driver's release store of avail->idx. */
	avail = __atomic_load_n(&c->guest.avail->idx, __ATOMIC_ACQUIRE);
	if (avail == c->guest_last_avail)
		return;
	if ((uint16_t)(avail - c->guest_used) > c->guest_size) {
		svq_ctrl_fault(c, SVQ_FAULT_GUEST, "avail idx jumped past the ring", avail);
		return;
	}
	head = c->guest.avail->ring[c->guest_last_avail & (c->guest_size - 1)];
	ret = svq_ctrl_take_chain(c, head, &len, &ack, &ack_gpa);
	if (ret == -EINVAL)
		return;
	c->guest_last_avail++;
	c->stats->avail_chains++;
	c->stats->avail_bytes += len;

	if (ret == 0)
		ret = svq_cvq_parse(c->cmd_copy, len, &c->limits,
				&c->pending_cmd, &why);
	else
		why = "command longer than the relay accepts";
	if (ret < 0) {
		/* The guest chooses how often this happens: the counter is
		 * exact, the log says the first few and then one in 1000. */
		if (c->stats->guest_errors < 10 || c->stats->guest_errors % 1000 == 0)
			SVQ_LOG(cvq, INFO, "%s: refused command %u/%u: %s (%" PRIu64 " refused)",
				c->name, len > 0 ? c->cmd_copy[0] : 0,
				len > 1 ? c->cmd_copy[1] : 0, why,
				c->stats->guest_errors + 1);
		c->stats->guest_errors++;
		svq_ctrl_answer(c, head, ack, ack_gpa, VIRTIO_NET_ERR);
		return;
	}

	if (c->dev == NULL) {
		rte_spinlock_lock(c->state_lock);
		svq_net_state_apply(c->state, &c->pending_cmd);
		rte_spinlock_unlock(c->state_lock);
		if (c->pending_cmd.class == VIRTIO_NET_CTRL_MQ &&
				c->pending_cmd.cmd == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET)
			c->pairs_changed(c->pairs_arg);
		svq_ctrl_answer(c, head, ack, ack_gpa, VIRTIO_NET_OK);
		return;
	}

	/* The device gets the validated copy, not the guest's buffer. */
	memcpy(c->area + SVQ_CTRL_CMD_OFF, c->cmd_copy, len);
	c->pending = true;
	c->pending_head = head;
	c->pending_ack = ack;
	c->pending_ack_gpa = ack_gpa;
	c->pending_len = len;
	svq_ctrl_post(c, 0, SVQ_CTRL_CMD_OFF, len);
	svq_ctrl_publish(c);
}

bool
svq_ctrl_poll(struct svq_ctrl *c)
{
	uint16_t taken = c->guest_last_avail;

	if (unlikely(c->fault != SVQ_FAULT_NONE))
		return false;
	if (c->dev != NULL && c->dev->ops->poll != NULL)
		c->dev->ops->poll(c->dev, c->dev_qid);
	if (c->pending) {
		svq_ctrl_finish_pending(c);
		if (c->pending)
			return true;
	}
	svq_ctrl_take_next(c);
	return c->pending || c->guest_last_avail != taken;
}

bool
svq_ctrl_notify_arm(struct svq_ctrl *c)
{
	svq_ring_notify_guest(&c->guest, c->guest_size, c->event_idx,
		c->guest_last_avail, true, &c->log);
	/* Full barrier, as in svq_shadow_notify_arm(). */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	return c->pending ||
		__atomic_load_n(&c->guest.avail->idx, __ATOMIC_RELAXED) !=
			c->guest_last_avail;
}

void
svq_ctrl_notify_disarm(struct svq_ctrl *c)
{
	svq_ring_notify_guest(&c->guest, c->guest_size, c->event_idx,
		c->guest_last_avail, false, &c->log);
}

void
svq_ctrl_guest_stop(struct svq_ctrl *c)
{
	uint64_t deadline = rte_get_tsc_cycles() +
		rte_get_tsc_hz() / 1000 * SVQ_CTRL_TIMEOUT_MS;

	/* Let the device answer the command it holds: the guest then gets
	 * its ack and nothing is repeated after a restart. */
	while (c->pending && c->fault == SVQ_FAULT_NONE &&
			rte_get_tsc_cycles() < deadline) {
		if (c->dev->ops->poll != NULL)
			c->dev->ops->poll(c->dev, c->dev_qid);
		svq_ctrl_finish_pending(c);
	}
	if (c->pending) {
		/* Given back: offered again after a restart. */
		SVQ_LOG(cvq, WARNING, "%s: device never answered %s; command given back",
			c->name, svq_cvq_cmd_name(c->pending_cmd.class,
				c->pending_cmd.cmd));
		c->guest_last_avail--;
		c->pending = false;
	}
	c->guest_running = false;
}
