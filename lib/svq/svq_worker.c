/* SPDX-License-Identifier: BSD-3-Clause */

#include <errno.h>
#include <stdbool.h>

#include <rte_lcore.h>
#include <rte_launch.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "svq_log.h"
#include "svq_queue.h"
#include "svq_worker.h"

#define SVQ_WORKER_MAX_QUEUES 256

struct svq_worker {
	/* Entries are written before nb_queues is raised (release) and read
	 * after it (acquire). A removed entry may still be seen for one
	 * iteration, which is harmless: its queue is no longer running. */
	struct svq_queue *queues[SVQ_WORKER_MAX_QUEUES];
	uint32_t nb_queues;
	bool launched;
} __rte_cache_aligned;

static struct svq_worker svq_workers[RTE_MAX_LCORE];
static struct rte_rcu_qsbr *svq_qsbr;
static volatile bool svq_workers_quit;

int
svq_workers_init(void)
{
	size_t sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);

	svq_qsbr = rte_zmalloc("svq_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (svq_qsbr == NULL)
		return -ENOMEM;
	return rte_rcu_qsbr_init(svq_qsbr, RTE_MAX_LCORE);
}

static int
svq_worker_main(void *arg)
{
	unsigned int lcore = rte_lcore_id();
	struct svq_worker *w = &svq_workers[lcore];

	RTE_SET_USED(arg);
	rte_rcu_qsbr_thread_register(svq_qsbr, lcore);
	rte_rcu_qsbr_thread_online(svq_qsbr, lcore);
	SVQ_LOG(worker, INFO, "lcore %u polling", lcore);

	while (!svq_workers_quit) {
		uint32_t n = __atomic_load_n(&w->nb_queues, __ATOMIC_ACQUIRE);
		uint32_t i;

		for (i = 0; i < n; i++) {
			struct svq_queue *q = w->queues[i];

			/* Acquire: pairs with the release store that
			 * publishes a fully configured queue. */
			if (__atomic_load_n(&q->running, __ATOMIC_ACQUIRE))
				svq_queue_poll(q);
		}
		/* Nothing of any queue is held across this point. */
		rte_rcu_qsbr_quiescent(svq_qsbr, lcore);
		if (n == 0)
			rte_pause();
	}

	rte_rcu_qsbr_thread_offline(svq_qsbr, lcore);
	rte_rcu_qsbr_thread_unregister(svq_qsbr, lcore);
	return 0;
}

int
svq_workers_launch(void)
{
	unsigned int lcore;
	int ret;

	svq_workers_quit = false;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		ret = rte_eal_remote_launch(svq_worker_main, NULL, lcore);
		if (ret < 0)
			return ret;
		svq_workers[lcore].launched = true;
	}
	return 0;
}

void
svq_workers_stop(void)
{
	unsigned int lcore;

	svq_workers_quit = true;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (svq_workers[lcore].launched)
			rte_eal_wait_lcore(lcore);
		svq_workers[lcore].launched = false;
	}
}

int
svq_worker_add_queue(unsigned int lcore, struct svq_queue *q)
{
	struct svq_worker *w;

	if (lcore >= RTE_MAX_LCORE || !rte_lcore_is_enabled(lcore) ||
			lcore == rte_get_main_lcore())
		return -EINVAL;
	w = &svq_workers[lcore];
	if (w->nb_queues == SVQ_WORKER_MAX_QUEUES)
		return -ENOSPC;
	w->queues[w->nb_queues] = q;
	q->lcore = lcore;
	/* Release: the entry is visible before the worker can index it. */
	__atomic_store_n(&w->nb_queues, w->nb_queues + 1, __ATOMIC_RELEASE);
	return 0;
}

void
svq_worker_remove_queue(struct svq_queue *q)
{
	struct svq_worker *w = &svq_workers[q->lcore];
	uint32_t i;

	for (i = 0; i < w->nb_queues; i++) {
		if (w->queues[i] != q)
			continue;
		w->queues[i] = w->queues[w->nb_queues - 1];
		__atomic_store_n(&w->nb_queues, w->nb_queues - 1,
				__ATOMIC_RELEASE);
		break;
	}
	/* After this no worker holds a pointer to q. */
	svq_workers_synchronize();
}

void
svq_workers_synchronize(void)
{
	if (svq_qsbr != NULL)
		rte_rcu_qsbr_synchronize(svq_qsbr, RTE_QSBR_THRID_INVALID);
}
