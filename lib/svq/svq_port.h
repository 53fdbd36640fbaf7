/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef SVQ_PORT_H
#define SVQ_PORT_H

/**
 * @file
 * A relay port: one vhost-user socket on the guest side and one device on
 * the other, with a shadow virtqueue for every guest vring.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "svq_net_state.h"
#include "svq_stats.h"

/** Most queue pairs a port relays. */
#define SVQ_MAX_QUEUE_PAIRS 64

struct svq_port;
struct svq_device;
struct svq_migration_state;

/** When the vrings go through shadow rings. */
enum svq_port_mode {
	/** Always: every buffer passes through the relay. */
	SVQ_PORT_MODE_ALWAYS,
	/** While the frontend logs dirty pages (VHOST_F_LOG_ALL) only; the
	 * device runs on the guest's rings otherwise (passthrough). Needs a
	 * device polled by the relay (an ops table with poll()). */
	SVQ_PORT_MODE_ON_MIGRATION,
};

/** How a port's workers learn of work. */
enum svq_port_notify {
	SVQ_PORT_NOTIFY_POLL,		/**< busy polling: lowest latency */
	SVQ_PORT_NOTIFY_INTERRUPT,	/**< sleep whenever idle, woken by kicks and calls */
	SVQ_PORT_NOTIFY_ADAPTIVE,	/**< poll under load, sleep after a while idle */
};

struct svq_port_params {
	const char *path;		/**< vhost-user socket path */
	uint16_t nb_queue_pairs;	/**< 1..SVQ_MAX_QUEUE_PAIRS */
	bool client;			/**< connect instead of listening */
	struct svq_device *dev;		/**< owned by the port from now on */
	enum svq_port_mode mode;
	enum svq_port_notify notify;
};

enum svq_queue_state {
	SVQ_QUEUE_IDLE,		/**< not set up by the guest */
	SVQ_QUEUE_RUNNING,	/**< relaying */
	SVQ_QUEUE_PASSTHROUGH,	/**< the device runs on the guest ring */
	SVQ_QUEUE_BROKEN,	/**< stopped on malformed input */
};

/**
 * Make a device from an operator spec such as "sim,mode=loopback".
 * @return the device, or NULL after logging why.
 */
struct svq_device *svq_device_create(const char *spec);
void svq_device_destroy(struct svq_device *dev);
/** Print every registered device driver and its arguments. */
void svq_device_drivers_usage(FILE *f);

/**
 * Create a port and register its vhost-user socket. Each vring must then be
 * given to a worker lcore with svq_port_set_lcore() before
 * svq_port_start().
 *
 * @return the port, or NULL after logging why (the device is destroyed).
 */
struct svq_port *svq_port_create(const struct svq_port_params *params);

/** Give vring @p qid to the worker on @p lcore. @return 0 or -errno. */
int svq_port_set_lcore(struct svq_port *port, uint16_t qid,
		unsigned int lcore);

/**
 * Start listening (or connecting).
 * @return 0, -EADDRINUSE if a process listens on the path already,
 *   -EEXIST if a file is in the way (a stale socket), or -errno.
 */
int svq_port_start(struct svq_port *port);

/** Disconnect the guest, stop every queue and free the port. */
void svq_port_destroy(struct svq_port *port);

const char *svq_port_name(const struct svq_port *port);
const char *svq_port_path(const struct svq_port *port);
/** Number of vrings (two per queue pair). */
uint16_t svq_port_nb_vrings(const struct svq_port *port);
bool svq_port_connected(const struct svq_port *port);

/**
 * Copy the device state the guest configured, as the relay tracks it.
 * @return 0, or -ENODATA before the device was first started.
 */
int svq_port_get_net_state(struct svq_port *port, struct svq_net_state *state);

/**
 * Have @p state replayed onto the device when it next starts, before any
 * data vring runs (a migration destination). Its features must then be the
 * ones the guest negotiates, and its queue pairs the port's.
 * @return 0, or -EINVAL if the port cannot ever restore it.
 */
int svq_port_set_restore_state(struct svq_port *port,
		const struct svq_net_state *state);

/** Read one vring's counters and state. @return 0 or -EINVAL. */
int svq_port_queue_stats(const struct svq_port *port, uint16_t qid,
		struct svq_queue_stats *stats, enum svq_queue_state *state,
		unsigned int *lcore);

/* ---- operator interface ---------------------------------------------- */

/** What a port is and where its device stands, for operators. */
struct svq_port_info {
	char device[64];		/**< the device's name */
	char driver[32];		/**< its driver, e.g. "sim" */
	uint16_t nb_queue_pairs;
	uint16_t nb_vrings;		/**< data vrings, then the control vring */
	uint16_t max_ring_size;		/**< largest guest ring accepted */
	bool client;			/**< connects instead of listening */
	bool connected;			/**< a frontend is connected */
	bool device_started;		/**< the device is DRIVER_OK */
	bool restore_pending;		/**< a state waits to be replayed */
	enum svq_port_mode mode;
	enum svq_port_notify notify;
	uint16_t nb_passthrough;	/**< vrings the device runs on directly */
	uint64_t mode_switches;		/**< shadow <-> passthrough switches */
	double last_switch_us;		/**< how long the last one took */
	uint64_t device_features;	/**< offered by the device */
	uint64_t offered_features;	/**< offered by the relay to the guest */
	uint64_t guest_features;	/**< negotiated with the guest, else 0 */
	uint64_t driver_features;	/**< accepted for the device, else 0 */
	uint8_t device_status;		/**< VIRTIO_CONFIG_S_* */
	/* The device's config space (struct virtio_net_config). */
	uint8_t mac[6];
	uint16_t link_status;		/**< VIRTIO_NET_S_* */
	uint16_t max_virtqueue_pairs;
	uint16_t mtu;
	uint8_t rss_max_key_size;
	uint16_t rss_max_indirection_table_length;
	uint32_t supported_hash_types;
	/* Migration: the last device stop and start, timed (issue P4). */
	bool stopped;			/**< by GET_VRING_BASE, until a vring is set up again */
	uint64_t device_stops;		/**< stops by GET_VRING_BASE */
	double last_stop_us;		/**< first GET_VRING_BASE to every vring stopped */
	uint64_t device_starts;
	double last_start_us;		/**< reset to DRIVER_OK, replay included */
	double last_replay_us;		/**< that start's replay, 0 without one */
	uint32_t last_replay_commands;
	/* The vring bases of the last migration state loaded, checked
	 * against the frontend's SET_VRING_BASE. */
	uint16_t migration_vrings;	/**< bases to check */
	uint16_t migration_checked;	/**< checked so far */
	uint32_t migration_mismatches;	/**< the frontend's base differed */
};

/**
 * Describe @p port. Takes the port lock and reads the device's status and
 * config: control threads only.
 * @return 0.
 */
int svq_port_get_info(struct svq_port *port, struct svq_port_info *info);

/**
 * Rename @p port (its log lines and svq_port_name()), e.g. to the id the
 * application gives it. Only before its vrings are given to lcores.
 * @return 0, -EINVAL for an empty or too long name, -EBUSY if too late.
 */
int svq_port_set_name(struct svq_port *port, const char *name);

/**
 * Move vring @p qid to the worker on @p lcore, live. The vring is paused
 * with its running flag, taken from its worker once no worker can be
 * inside it, given to the new worker and resumed. The shadow ring, the
 * device vring and every buffer in flight stay where they are, so no
 * buffer is lost or repeated. Control threads only; callers serialise
 * changes to the lcore placement (this and svq_port_set_lcore()).
 *
 * @return 0, -EINVAL for no such vring or not a worker lcore, -ENOSPC if
 *   that worker polls too many vrings already (the vring stays put).
 */
int svq_port_move_queue(struct svq_port *port, uint16_t qid,
		unsigned int lcore);

/**
 * Change when @p port shadows its vrings. Running vrings switch at once:
 * each is stopped as for GET_VRING_BASE (drained, its base taken) and
 * restarted in the new way at that base, so no buffer is lost or
 * repeated. Control threads only.
 *
 * @return 0, or -ENOTSUP for SVQ_PORT_MODE_ON_MIGRATION on a device the
 *   relay does not poll.
 */
int svq_port_set_mode(struct svq_port *port, enum svq_port_mode mode);

/**
 * Export what a migration destination needs (struct svq_migration_state):
 * with the port stopped by the frontend (GET_VRING_BASE), the base each
 * vring was answered; with vrings running, a snapshot of their indices,
 * which the worker moves on. Control threads only.
 *
 * @return 0, or -ENODATA without a frontend, or with no vring started
 *   nor stopped.
 */
int svq_port_get_migration_state(struct svq_port *port,
		struct svq_migration_state *m);

/**
 * Import a migration state: its device state, if the control queue is
 * the relay's, is replayed when the device next starts (as
 * svq_port_set_restore_state()); its vring bases are compared with those
 * the frontend sets (SET_VRING_BASE), which are the ones used. Control
 * threads only.
 *
 * @return 0, or -EINVAL if the state cannot fit the port (nothing changed).
 */
int svq_port_set_migration_state(struct svq_port *port,
		const struct svq_migration_state *m);

/** "always" or "on-migration". */
const char *svq_port_mode_name(enum svq_port_mode mode);
/** The mode named @p name. @return 0 or -EINVAL. */
int svq_port_mode_parse(const char *name, enum svq_port_mode *mode);

/** "poll", "interrupt" or "adaptive". */
const char *svq_port_notify_name(enum svq_port_notify notify);
/** The notification mode named @p name. @return 0 or -EINVAL. */
int svq_port_notify_parse(const char *name, enum svq_port_notify *notify);

#endif /* SVQ_PORT_H */
