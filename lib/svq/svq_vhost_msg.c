/* SPDX-License-Identifier: BSD-3-Clause */

#include "svq_vhost_msg.h"

#define SVQ_VHOST_REQ_NAME(name, num) [num] = #name,
static const char *const svq_vhost_request_names[SVQ_VHOST_USER_MAX] = {
	SVQ_VHOST_REQUESTS(SVQ_VHOST_REQ_NAME)
};
#undef SVQ_VHOST_REQ_NAME

const char *
svq_vhost_request_name(uint32_t request)
{
	if (request < SVQ_VHOST_USER_MAX && svq_vhost_request_names[request])
		return svq_vhost_request_names[request];
	return "UNKNOWN";
}
