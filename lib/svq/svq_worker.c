/* SPDX-License-Identifier: BSD-3-Clause */

#include <errno.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_launch.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "svq_log.h"
#include "svq_queue.h"
#include "svq_worker.h"

#define SVQ_WORKER_MAX_QUEUES 256
/* Longest sleep: a device the worker polls (the software device) may have
 * work of its own, such as frames generated at a rate. */
#define SVQ_WORKER_SLEEP_POLLED_MS 1
#define SVQ_WORKER_SLEEP_MS 100

struct svq_worker {
	/* Entries are written before nb_queues is raised (release) and read
	 * after it (acquire). A removed entry may still be seen for one
	 * iteration, which is harmless: its queue is no longer running. */
	struct svq_queue *queues[SVQ_WORKER_MAX_QUEUES];
	uint32_t nb_queues;
	bool launched;
	/* Interrupt and adaptive modes: the eventfds of its queues, and one
	 * the control path writes to wake it when queues change. */
	int epfd;
	int wakefd;
} __rte_cache_aligned;

static struct svq_worker svq_workers[RTE_MAX_LCORE];
static struct rte_rcu_qsbr *svq_qsbr;
static volatile bool svq_workers_quit;

int
svq_workers_init(void)
{
	size_t sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	unsigned int lcore;

	svq_qsbr = rte_zmalloc("svq_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (svq_qsbr == NULL)
		return -ENOMEM;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct svq_worker *w = &svq_workers[lcore];
		struct epoll_event ev = { .events = EPOLLIN };

		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		w->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ev.data.fd = w->wakefd;
		if (w->epfd < 0 || w->wakefd < 0 ||
				epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wakefd, &ev) < 0)
			return -errno;
	}
	return rte_rcu_qsbr_init(svq_qsbr, RTE_MAX_LCORE);
}

/*
 * Every queue of the worker idle: ask for kicks and calls, look once more,
 * and sleep in epoll offline (an RCU barrier does not wait for a sleeping
 * worker; a queue stopped meanwhile is not touched again: each is checked
 * for running once back online).
 */
static void
svq_worker_sleep(struct svq_worker *w, unsigned int lcore, uint32_t n,
		bool polled_device)
{
	struct epoll_event events[16];
	bool work = false;
	uint32_t i;
	int nev;

	for (i = 0; i < n; i++) {
		struct svq_queue *q = w->queues[i];

		if (__atomic_load_n(&q->running, __ATOMIC_ACQUIRE))
			work |= svq_queue_notify_arm(q);
	}
	if (!work) {
		rte_rcu_qsbr_thread_offline(svq_qsbr, lcore);
		nev = epoll_wait(w->epfd, events, RTE_DIM(events),
			polled_device ? SVQ_WORKER_SLEEP_POLLED_MS :
			SVQ_WORKER_SLEEP_MS);
		rte_rcu_qsbr_thread_online(svq_qsbr, lcore);
		for (i = 0; i < (uint32_t)RTE_MAX(nev, 0); i++) {
			eventfd_t v;

			/* Readable, so the read does not block. */
			eventfd_read(events[i].data.fd, &v);
		}
	}
	n = __atomic_load_n(&w->nb_queues, __ATOMIC_ACQUIRE);
	for (i = 0; i < n; i++) {
		struct svq_queue *q = w->queues[i];

		if (__atomic_load_n(&q->running, __ATOMIC_ACQUIRE))
			svq_queue_notify_disarm(q);
	}
}

static int
svq_worker_main(void *arg)
{
	unsigned int lcore = rte_lcore_id();
	struct svq_worker *w = &svq_workers[lcore];
	uint64_t busy_tsc;

	RTE_SET_USED(arg);
	rte_rcu_qsbr_thread_register(svq_qsbr, lcore);
	rte_rcu_qsbr_thread_online(svq_qsbr, lcore);
	SVQ_LOG(worker, INFO, "lcore %u polling", lcore);

	busy_tsc = rte_get_tsc_cycles();
	while (!svq_workers_quit) {
		uint32_t n = __atomic_load_n(&w->nb_queues, __ATOMIC_ACQUIRE);
		uint64_t idle_cycles = n == 0 ? UINT64_MAX : 0;
		bool busy = false, polled_device = false;
		uint32_t i;

		for (i = 0; i < n; i++) {
			struct svq_queue *q = w->queues[i];

			/* Acquire: pairs with the release store that
			 * publishes a fully configured queue. */
			if (!__atomic_load_n(&q->running, __ATOMIC_ACQUIRE))
				continue;
			busy |= svq_queue_poll(q);
			/* the longest any queue wants polled before a sleep */
			idle_cycles = RTE_MAX(idle_cycles, q->idle_cycles);
			polled_device |= q->dev->ops->poll != NULL;
		}
		if (busy)
			busy_tsc = rte_get_tsc_cycles();
		else if (idle_cycles != UINT64_MAX &&
				rte_get_tsc_cycles() - busy_tsc >= idle_cycles)
			svq_worker_sleep(w, lcore, n, polled_device);
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
	svq_worker_watch(q);
	svq_worker_wake(lcore);
	return 0;
}

void
svq_worker_watch(struct svq_queue *q)
{
	unsigned int i;

	if (q->lcore >= RTE_MAX_LCORE || svq_workers[q->lcore].epfd <= 0)
		return;
	for (i = 0; i < RTE_DIM(q->watch_fds); i++) {
		struct epoll_event ev = { .events = EPOLLIN,
			.data.fd = q->watch_fds[i] };

		if (q->watch_fds[i] >= 0)
			epoll_ctl(svq_workers[q->lcore].epfd, EPOLL_CTL_ADD,
				q->watch_fds[i], &ev);
	}
}

void
svq_worker_unwatch(struct svq_queue *q)
{
	unsigned int i;

	if (q->lcore >= RTE_MAX_LCORE || svq_workers[q->lcore].epfd <= 0)
		return;
	for (i = 0; i < RTE_DIM(q->watch_fds); i++)
		if (q->watch_fds[i] >= 0)
			epoll_ctl(svq_workers[q->lcore].epfd, EPOLL_CTL_DEL,
				q->watch_fds[i], NULL);
}

void
svq_worker_wake(unsigned int lcore)
{
	if (lcore < RTE_MAX_LCORE && svq_workers[lcore].wakefd > 0)
		eventfd_write(svq_workers[lcore].wakefd, 1);
}

void
svq_worker_remove_queue(struct svq_queue *q)
{
	struct svq_worker *w = &svq_workers[q->lcore];
	uint32_t i;

	svq_worker_unwatch(q);
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
