/* SPDX-License-Identifier: BSD-3-Clause */

#ifndef SVQ_STATE_JSON_H
#define SVQ_STATE_JSON_H

/**
 * @file
 * The device state model as JSON (schema "svq-relay/net-state", version 1)
 * and the migration document around it ("svq-relay/migration", version 1;
 * see doc/state-schema.md). Loading validates every field and the
 * consistency between fields; on any error the output is left untouched.
 */

#include <stddef.h>

#include <jansson.h>

#include "svq_migration.h"
#include "svq_net_state.h"

#define SVQ_STATE_SCHEMA "svq-relay/net-state"
#define SVQ_STATE_VERSION 1
#define SVQ_MIGRATION_SCHEMA "svq-relay/migration"
#define SVQ_MIGRATION_VERSION 1

/** @return a new JSON object (caller owns the reference), or NULL. */
json_t *svq_state_to_json(const struct svq_net_state *s);

/**
 * Read a state. @p err (of @p err_len bytes) receives a one-line reason on
 * failure.
 * @return 0, or -EINVAL with @p s unchanged.
 */
int svq_state_from_json(const json_t *root, struct svq_net_state *s,
		char *err, size_t err_len);

/** File helpers around the two functions above. @return 0 or -errno. */
int svq_state_save(const struct svq_net_state *s, const char *path,
		char *err, size_t err_len);
int svq_state_load(const char *path, struct svq_net_state *s,
		char *err, size_t err_len);

/** The migration document, with the device state embedded unchanged.
 * @return a new JSON object (caller owns the reference), or NULL. */
json_t *svq_migration_to_json(const struct svq_migration_state *m);

/**
 * Read a migration document: every member as strictly as a state, the
 * vrings in ascending order, each once, and the device state (or null)
 * consistent with the port's size and the guest's features.
 * @return 0, or -EINVAL with @p m unchanged and a one-line reason in @p err.
 */
int svq_migration_from_json(const json_t *root, struct svq_migration_state *m,
		char *err, size_t err_len);

/** File helpers around the two functions above. @return 0 or -errno. */
int svq_migration_save(const struct svq_migration_state *m, const char *path,
		char *err, size_t err_len);
int svq_migration_load(const char *path, struct svq_migration_state *m,
		char *err, size_t err_len);

#endif /* SVQ_STATE_JSON_H */
