/* SPDX-License-Identifier: BSD-3-Clause */

/*
 * Registry of device drivers and creation of devices from a spec string
 * "driver[,key=value...]" given by the operator.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>

#include <rte_string_fns.h>

#include "svq_device.h"
#include "svq_log.h"
#include "svq_port.h"

static TAILQ_HEAD(, svq_driver) svq_drivers =
	TAILQ_HEAD_INITIALIZER(svq_drivers);

void
svq_driver_register(struct svq_driver *drv)
{
	TAILQ_INSERT_TAIL(&svq_drivers, drv, next);
}

struct svq_device *
svq_device_create(const char *spec)
{
	struct svq_driver *drv;
	const char *comma = strchr(spec, ',');
	size_t name_len = comma ? (size_t)(comma - spec) : strlen(spec);
	struct svq_device *dev;

	TAILQ_FOREACH(drv, &svq_drivers, next) {
		if (strlen(drv->name) != name_len ||
				strncmp(drv->name, spec, name_len) != 0)
			continue;
		dev = drv->create(comma ? comma + 1 : "");
		if (dev == NULL)
			return NULL;
		dev->driver = drv;
		return dev;
	}
	SVQ_LOG(dev, ERR, "unknown device driver in '%s'", spec);
	return NULL;
}

void
svq_device_destroy(struct svq_device *dev)
{
	if (dev != NULL)
		dev->ops->destroy(dev);
}

int
svq_kvarg_ulong(const char *key, const char *value, void *opaque)
{
	char *end;

	RTE_SET_USED(key);
	errno = 0;
	*(unsigned long *)opaque = strtoul(value, &end, 0);
	return (errno != 0 || end == value || *end != '\0' || value[0] == '-') ?
		-1 : 0;
}

int
svq_kvarg_mac(const char *key, const char *value, void *opaque)
{
	RTE_SET_USED(key);
	return rte_ether_unformat_addr(value, opaque);
}

void
svq_device_drivers_usage(FILE *f)
{
	struct svq_driver *drv;

	TAILQ_FOREACH(drv, &svq_drivers, next)
		fprintf(f, "  %s%s\n", drv->name, drv->usage);
}
