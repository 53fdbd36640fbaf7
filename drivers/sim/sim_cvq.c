/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * The software device's control virtqueue, and the device state it sets.
 *
 * Each command chain is device-readable header + data, then at least one
 * device-writable byte for the ack (virtio 1.2, 5.1.6.5). The readable
 * part is copied out of driver memory first, so it cannot change while it
 * is parsed; the shared parser (svq_cvq_parse) checks it against the
 * device's config space and the negotiated features, exactly as the relay
 * does in front of any device. An accepted command is applied to the
 * device's state and acked VIRTIO_NET_OK; a refused one is acked
 * VIRTIO_NET_ERR and changes nothing. Either way the used length is 1.
 *
 * Threat model: the driver (the guest, through the relay) writes the
 * ring, the descriptors and the command bytes. Ring indices, chain shape
 * and buffer addresses are checked by sim_chain_resolve(); a chain that
 * breaks the ring format (bad index, loop, readable after writable, a
 * buffer outside the DMA map, no writable byte to ack into) breaks the
 * vring, as QEMU's virtio_error does: there is no sane way to complete it.
 * Commands longer than SIM_CVQ_CMD_MAX are refused, not read.
 *
 * Calling context: sim_cvq_poll() on the lcore owning the control vring,
 * the only writer of struct sim_ctrl while the device runs; the rest on
 * the control path.
 */

#include <string.h>

#include "sim_net.h"
#include "svq_cvq.h"

/* Derived fields, inside a write section. */
static void
sim_ctrl_refresh(struct sim_net *sim)
{
	struct sim_ctrl *c = &sim->ctrl;

	/* The parser copied key_len bytes: zero the rest, since Toeplitz
	 * reads the key as far as the input is long. */
	memset(c->rss_key, 0, sizeof(c->rss_key));
	memcpy(c->rss_key, c->state.rss.key,
		RTE_MIN(c->state.rss.key_len, (uint8_t)SVQ_RSS_KEY_MAX));
	/* Without a control vring the driver cannot choose the pairs it
	 * uses (vhost-user frontends enable them per vring): all may
	 * receive. */
	c->rx_pairs = sim_negotiated(sim, VIRTIO_NET_F_CTRL_VQ) ?
		c->state.curr_pairs : sim->nb_vqs / 2;
}

/*
 * The state of a device after reset or at FEATURES_OK: the configured MAC
 * back in the config space (a reset undoes MAC_ADDR_SET, as in QEMU), the
 * state model's defaults for the negotiated features.
 */
void
sim_ctrl_init(struct sim_net *sim)
{
	struct svq_cvq_limits *lim = &sim->cvq_limits;

	rte_seqcount_write_begin(&sim->ctrl.sc);
	memcpy(sim->config.mac, sim->default_mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	sim->config.status &= ~VIRTIO_NET_S_ANNOUNCE;
	svq_net_state_init(&sim->ctrl.state, sim->driver_features,
		&sim->default_mac, sim->config.max_virtqueue_pairs);
	sim_ctrl_refresh(sim);
	rte_seqcount_write_end(&sim->ctrl.sc);

	lim->features = sim->driver_features;
	lim->max_pairs = sim->config.max_virtqueue_pairs;
	lim->rss_max_key = sim->config.rss_max_key_size;
	lim->rss_max_table = sim->config.rss_max_indirection_table_length;
	lim->hash_types = sim->config.supported_hash_types;
	lim->guest_offloads = svq_net_guest_offloads(sim->driver_features);
}

static void
sim_ctrl_apply(struct sim_net *sim, const struct svq_cvq_cmd *cmd)
{
	rte_seqcount_write_begin(&sim->ctrl.sc);
	svq_net_state_apply(&sim->ctrl.state, cmd);
	if (cmd->class == VIRTIO_NET_CTRL_MAC &&
			cmd->cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET)
		memcpy(sim->config.mac, cmd->u.mac.addr_bytes,
			RTE_ETHER_ADDR_LEN);
	else if (cmd->class == VIRTIO_NET_CTRL_ANNOUNCE)
		sim->config.status &= ~VIRTIO_NET_S_ANNOUNCE;
	sim_ctrl_refresh(sim);
	rte_seqcount_write_end(&sim->ctrl.sc);
}

void
sim_ctrl_get_state(struct sim_net *sim, struct svq_net_state *state)
{
	uint32_t sn;

	do {
		sn = rte_seqcount_read_begin(&sim->ctrl.sc);
		*state = sim->ctrl.state;
	} while (rte_seqcount_read_retry(&sim->ctrl.sc, sn));
}

void
sim_ctrl_get_config(struct sim_net *sim, void *buf, uint32_t offset,
		uint32_t len)
{
	uint32_t sn;

	/* MAC_ADDR_SET changes config.mac on the control vring's lcore. */
	do {
		sn = rte_seqcount_read_begin(&sim->ctrl.sc);
		memcpy(buf, (const uint8_t *)&sim->config + offset, len);
	} while (rte_seqcount_read_retry(&sim->ctrl.sc, sn));
}

/* Copy the command out of driver memory, parse it, apply it. */
static uint8_t
sim_cvq_exec(struct sim_net *sim, struct sim_vq *vq, const struct sim_chain *c)
{
	uint8_t *buf = sim->cvq_scratch->cmd;
	struct svq_cvq_cmd cmd;
	const char *why;
	size_t len = 0;
	uint16_t i;

	for (i = 0; i < c->nb_readable; i++) {
		if (c->bufs[i].len > SIM_CVQ_CMD_MAX - len) {
			why = "command longer than the device reads";
			goto refuse;
		}
		memcpy(buf + len, c->bufs[i].hva, c->bufs[i].len);
		len += c->bufs[i].len;
	}
	if (svq_cvq_parse(buf, len, &sim->cvq_limits, &cmd, &why) < 0)
		goto refuse;
	sim_ctrl_apply(sim, &cmd);
	vq->stats.packets++;
	vq->stats.bytes += len;
	SIM_LOG(DEBUG, sim, "control: %s acked",
		svq_cvq_cmd_name(cmd.class, cmd.cmd));
	return VIRTIO_NET_OK;

refuse:
	vq->stats.drops++;
	SIM_LOG(INFO, sim, "control: %s refused: %s",
		len >= 2 ? svq_cvq_cmd_name(buf[0], buf[1]) : "command", why);
	return VIRTIO_NET_ERR;
}

void
sim_cvq_poll(struct sim_net *sim, struct sim_vq *vq)
{
	struct sim_chain *chain = &sim->cvq_scratch->chain;
	uint16_t pending, done;

	pending = RTE_MIN(sim_avail_pending(sim, vq), (uint16_t)SIM_BURST);
	for (done = 0; done < pending; done++) {
		uint16_t head = vq->avail->ring[vq->last_avail & (vq->num - 1)];
		uint8_t ack;

		if (sim_chain_resolve(sim, vq, head, SIM_CHAIN_CONTROL,
				chain) < 0)
			break;
		if (chain->nb_readable == chain->nbufs) {
			sim_vq_set_broken(sim, vq,
				"control command without room for the ack", head);
			break;
		}
		ack = sim_cvq_exec(sim, vq, chain);
		*chain->bufs[chain->nb_readable].hva = ack;
		sim_used_fill(vq, vq->used_idx++, head, sizeof(ack));
		vq->last_avail++;
	}
	if (done != 0)
		sim_used_publish(vq);
}
