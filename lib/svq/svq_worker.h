/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef SVQ_WORKER_H
#define SVQ_WORKER_H

/**
 * @file
 * Poll-mode workers: one per worker lcore, each polling the queues it owns.
 * A queue belongs to exactly one worker at a time. The control path stops
 * a queue by clearing its running flag and waiting, with an RCU quiescent
 * state barrier, until no worker can still be inside it.
 */

#include <stdint.h>

struct svq_queue;

/** Set up the worker table; call once after rte_eal_init(). */
int svq_workers_init(void);

/** Launch a worker on every worker lcore. */
int svq_workers_launch(void);

/** Stop all workers and wait for them to return. */
void svq_workers_stop(void);

/** Give @p q to the worker on @p lcore. @return 0, -EINVAL or -ENOSPC. */
int svq_worker_add_queue(unsigned int lcore, struct svq_queue *q);

/** Take @p q from its worker; the queue must already be stopped. */
void svq_worker_remove_queue(struct svq_queue *q);

/**
 * Have the worker owning @p q watch (or stop watching) q->watch_fds while
 * it sleeps. Control threads, with the queue stopped or not yet started.
 */
void svq_worker_watch(struct svq_queue *q);
void svq_worker_unwatch(struct svq_queue *q);

/** Wake the worker on @p lcore if it sleeps, e.g. for a queue it got. */
void svq_worker_wake(unsigned int lcore);

/**
 * Wait until every worker has finished the iteration it was in, so that a
 * queue whose running flag was cleared before the call is no longer
 * touched by any worker. Control threads only.
 */
void svq_workers_synchronize(void);

#endif /* SVQ_WORKER_H */
