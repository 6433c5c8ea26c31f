/* checkpoint.h -- safetensors files.
 *
 * Layout (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian header length N, N bytes of JSON, then the raw
 * little-endian tensor bytes. The JSON maps each tensor name to
 * {"dtype","shape","data_offsets":[begin,end]} (offsets relative to the end
 * of the header) and "__metadata__" to a string->string map. We pad the
 * header with spaces to a multiple of 8 bytes, as the reference writer does,
 * and write tensors in the order given, back to back.
 *
 * Reading validates everything before any tensor is used: the header length
 * against the file size, the JSON (parsed by cJSON), each dtype and shape
 * against its byte range, every range inside the data area, no overlaps
 * and no gaps. A bad file is an error naming the file and the fault.
 *
 * Ownership: ckpt_write copies nothing and keeps nothing. ckpt_read returns a
 * ckpt that owns the file's bytes (and its parsed header); tensor names,
 * tensor data and metadata strings point into it and live until ckpt_free.
 *
 * Alignment: a tensor's data is always aligned for its dtype, so it may be
 * read directly as float / double / int64_t. Files we write start the data
 * area 8-aligned and tensors are then used in place; a tensor that sits at a
 * misaligned offset (possible in files from other writers) is copied into
 * aligned storage owned by the ckpt. */
#ifndef RNNLAB_CORE_CHECKPOINT_H
#define RNNLAB_CORE_CHECKPOINT_H

#include <stddef.h>
#include "error.h"

#define CKPT_FORMAT_VERSION "1"
#define CKPT_MAX_DIMS 4

typedef enum ckpt_dtype { CKPT_F32 = 1, CKPT_F64 = 2, CKPT_I64 = 3 } ckpt_dtype;

typedef struct ckpt_tensor {
    const char *name;
    ckpt_dtype dtype;
    size_t ndim;
    size_t shape[CKPT_MAX_DIMS];
    const void *data; /* little-endian, ndim product elements */
} ckpt_tensor;

typedef struct ckpt_meta {
    const char *key;
    const char *value; /* any UTF-8 text */
} ckpt_meta;

/* Writes tensors and metadata to path atomically (fileio.h). Names must be
 * non-empty, unique and not "__metadata__"; metadata keys unique. Errors:
 * RNNLAB_ERR_INVALID for bad arguments, RNNLAB_ERR_IO if the write fails
 * (the previous file at path is then unchanged). */
int ckpt_write(const char *path, const ckpt_tensor *tensors, size_t ntensors, const ckpt_meta *meta,
               size_t nmeta, rnnlab_err *err);

typedef struct ckpt ckpt;

/* Reads and validates path. A malformed file is RNNLAB_ERR_FORMAT with a
 * message naming the file and the fault; *out is NULL on any error. */
int ckpt_read(ckpt **out, const char *path, rnnlab_err *err);
/* The same from len bytes in memory (copied; the caller keeps bytes). name
 * stands for the file in error messages. */
int ckpt_parse(ckpt **out, const char *name, const void *bytes, size_t len, rnnlab_err *err);
void ckpt_free(ckpt *c);

size_t ckpt_count(const ckpt *c);
const ckpt_tensor *ckpt_at(const ckpt *c, size_t i);
/* The tensor called name, or NULL. */
const ckpt_tensor *ckpt_find(const ckpt *c, const char *name);
/* The metadata value for key, or NULL. */
const char *ckpt_meta_get(const ckpt *c, const char *key);

/* Checks that c is an rnnlab training checkpoint this version can read:
 * metadata format = "rnnlab-checkpoint" and format_version =
 * CKPT_FORMAT_VERSION. A safetensors file from elsewhere, or one written by
 * a newer rnnlab, is refused with a message saying which. */
int ckpt_check_rnnlab(const ckpt *c, const char *path, rnnlab_err *err);

/* Element size of a dtype in bytes, and its safetensors name ("F32");
 * 0 and NULL for a value outside ckpt_dtype. */
size_t ckpt_dtype_size(ckpt_dtype d);
const char *ckpt_dtype_name(ckpt_dtype d);

#endif
