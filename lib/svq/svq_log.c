/* SPDX-License-Identifier: BSD-3-Clause */

#include "svq_log.h"

RTE_LOG_REGISTER(svq_logtype_port, svq.port, INFO);
RTE_LOG_REGISTER(svq_logtype_vring, svq.vring, INFO);
RTE_LOG_REGISTER(svq_logtype_dev, svq.dev, INFO);
RTE_LOG_REGISTER(svq_logtype_worker, svq.worker, INFO);
RTE_LOG_REGISTER(svq_logtype_cvq, svq.cvq, INFO);
RTE_LOG_REGISTER(svq_logtype_migrate, svq.migrate, INFO);
