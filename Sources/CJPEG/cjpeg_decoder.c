// Pillow decodes a JPEG by handing libjpeg a suspending source and feeding it the file in
// ImageFile.MAXBLOCK (64 KiB) reads: libjpeg stops when a read runs dry and resumes on the next
// chunk, and when the file has no more chunks Pillow raises "image file is truncated". Warnings
// are discarded; errors longjmp out and become "broken data stream". This file replays that loop
// over a buffer held in memory, chunk boundaries included: libjpeg's arithmetic decoder cannot
// suspend, so Pillow refuses an arithmetic-coded scan that crosses a 64 KiB boundary, and so must we.
#include "cjpeg_decoder.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

enum { PILLOW_MAXBLOCK = 65536 };

struct cjpeg_decoder {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr error;
    struct jpeg_source_mgr source;
    jmp_buf jump;
    const uint8_t *data;
    size_t size;
    size_t consumed;    // bytes libjpeg has committed (Pillow drops them from its buffer)
    size_t window_end;  // bytes Pillow has read from the file so far
    size_t skip;        // a skip_input_data past the window, finished on the next chunk
    int state;          // Pillow's state: 1 header, 2 start, 3 scanlines, 4 finish, 5 done
    int created;
    char message[JMSG_LENGTH_MAX];
};

static void on_error(j_common_ptr cinfo) {
    cjpeg_decoder *d = (cjpeg_decoder *)cinfo->client_data;
    (*cinfo->err->format_message)(cinfo, d->message);
    longjmp(d->jump, 1);
}

// Pillow's output_message is empty: every warning is ignored.
static void on_message(j_common_ptr cinfo) { (void)cinfo; }

static void source_stub(j_decompress_ptr cinfo) { (void)cinfo; }

// Suspension: the chunk Pillow passed is used up.
static boolean fill_input_buffer(j_decompress_ptr cinfo) {
    (void)cinfo;
    return FALSE;
}

static void skip_input_data(j_decompress_ptr cinfo, long count) {
    cjpeg_decoder *d = (cjpeg_decoder *)cinfo->client_data;
    struct jpeg_source_mgr *src = cinfo->src;
    if (count > (long)src->bytes_in_buffer) {
        d->skip = (size_t)count - src->bytes_in_buffer;
        src->next_input_byte += src->bytes_in_buffer;
        src->bytes_in_buffer = 0;
    } else if (count > 0) {
        src->bytes_in_buffer -= (size_t)count;
        src->next_input_byte += count;
        d->skip = 0;
    }
}

// Pillow's rawmode for 1, 3 and 4 layers is L, RGB and CMYK;I: libjpeg converts to grey, RGB or
// CMYK (YCCK files included), with every other decoder setting left at libjpeg's defaults.
static void configure(cjpeg_decoder *d, int scale_denom) {
    struct jpeg_decompress_struct *c = &d->cinfo;
    switch (c->num_components) {
    case 1: c->out_color_space = JCS_GRAYSCALE; break;
    case 3: c->out_color_space = JCS_RGB; break;
    case 4: c->out_color_space = JCS_CMYK; break;
    default:  // Pillow refuses other layer counts before decoding; so do we
        snprintf(d->message, sizeof d->message, "cannot handle %d-layer images", c->num_components);
        longjmp(d->jump, 1);
    }
    if (scale_denom > 1) {
        c->scale_num = 1;
        c->scale_denom = (unsigned int)scale_denom;
    }
}

// One call of Pillow's ImagingJpegDecode on the unconsumed bytes of the window. Returns 1 when
// the image is complete, 0 when libjpeg suspended (more data wanted). `stop_after_header` ends
// after state 1 for cjpeg_open. Runs under the caller's setjmp.
static int pillow_step(cjpeg_decoder *d, int scale_denom, uint8_t *out, int stop_after_header) {
    struct jpeg_decompress_struct *c = &d->cinfo;
    const uint8_t *buf = d->data + d->consumed;
    d->source.next_input_byte = buf;
    d->source.bytes_in_buffer = d->window_end - d->consumed;
    if (d->skip > 0) {
        skip_input_data(c, (long)d->skip);
        if (d->skip > 0) {
            d->consumed += (size_t)(d->source.next_input_byte - buf);
            return 0;
        }
    }
    int done = 0;
    switch (d->state) {
    case 1: {
        int ok;
        do {
            ok = jpeg_read_header(c, FALSE);
        } while (ok == JPEG_HEADER_TABLES_ONLY);
        if (ok == JPEG_SUSPENDED) break;
        configure(d, scale_denom);
        jpeg_calc_output_dimensions(c);
        d->state = 2;
        if (stop_after_header) { done = 1; break; }
    }
    /* fall through */
    case 2:
        if (!jpeg_start_decompress(c)) break;
        d->state = 3;
    /* fall through */
    case 3: {
        size_t stride = (size_t)c->output_width * (size_t)c->output_components;
        int stalled = 0;
        while (c->output_scanline < c->output_height) {
            JSAMPROW rows[16];
            JDIMENSION want = c->output_height - c->output_scanline;
            if (want > 16) want = 16;
            for (JDIMENSION i = 0; i < want; i++) rows[i] = out + (size_t)(c->output_scanline + i) * stride;
            if (jpeg_read_scanlines(c, rows, want) == 0) { stalled = 1; break; }
        }
        if (stalled) break;
        d->state = 4;
    }
    /* fall through */
    case 4:
        // Every row is out: Pillow ends here whether or not libjpeg found the end marker.
        (void)jpeg_finish_decompress(c);
        d->state = 5;
        done = 1;
        break;
    default:
        done = 1;
    }
    d->consumed += (size_t)(d->source.next_input_byte - buf);
    return done;
}

// Pillow's ImageFile.load loop: read a chunk, decode, until done or the file has no more bytes.
static cjpeg_status pillow_loop(cjpeg_decoder *d, int scale_denom, uint8_t *out, int stop_after_header) {
    for (;;) {
        if (d->window_end == d->size) {
            snprintf(d->message, sizeof d->message, "image file is truncated");
            return CJPEG_TRUNCATED;
        }
        size_t room = d->size - d->window_end;
        d->window_end += room < PILLOW_MAXBLOCK ? room : PILLOW_MAXBLOCK;
        if (pillow_step(d, scale_denom, out, stop_after_header)) return CJPEG_OK;
    }
}

cjpeg_status cjpeg_open(const uint8_t *data, size_t size, int scale_denom, cjpeg_decoder **decoder,
                        cjpeg_info *info) {
    cjpeg_decoder *d = calloc(1, sizeof *d);
    *decoder = d;
    if (d == NULL) return CJPEG_ERROR;
    d->data = data;
    d->size = size;
    d->state = 1;
    d->cinfo.err = jpeg_std_error(&d->error);
    d->error.error_exit = on_error;
    d->error.output_message = on_message;
    d->cinfo.client_data = d;
    if (setjmp(d->jump)) return CJPEG_ERROR;
    jpeg_create_decompress(&d->cinfo);
    d->created = 1;
    d->source.init_source = source_stub;
    d->source.fill_input_buffer = fill_input_buffer;
    d->source.skip_input_data = skip_input_data;
    d->source.resync_to_restart = jpeg_resync_to_restart;
    d->source.term_source = source_stub;
    d->cinfo.src = &d->source;
    cjpeg_status status = pillow_loop(d, scale_denom, NULL, 1);
    if (status != CJPEG_OK) return status;
    const struct jpeg_decompress_struct *c = &d->cinfo;
    info->width = (int)c->image_width;
    info->height = (int)c->image_height;
    info->components = c->num_components;
    info->output_width = (int)c->output_width;
    info->output_height = (int)c->output_height;
    info->output_components = c->output_components;
    info->progressive = c->progressive_mode ? 1 : 0;
    info->arithmetic = c->arith_code ? 1 : 0;
    return CJPEG_OK;
}

cjpeg_status cjpeg_decode(cjpeg_decoder *d, uint8_t *out, size_t out_size) {
    if (d == NULL || d->state != 2) return CJPEG_ERROR;
    const struct jpeg_decompress_struct *c = &d->cinfo;
    size_t need = (size_t)c->output_width * (size_t)c->output_height * (size_t)c->output_components;
    if (out == NULL || out_size != need) {
        snprintf(d->message, sizeof d->message, "output buffer of %zu bytes, need %zu", out_size, need);
        return CJPEG_ERROR;
    }
    if (setjmp(d->jump)) return CJPEG_ERROR;
    // Continue in the chunk where the header ended, as Pillow does within one decode call.
    if (pillow_step(d, 0, out, 0)) return CJPEG_OK;
    return pillow_loop(d, 0, out, 0);
}

const char *cjpeg_message(const cjpeg_decoder *d) {
    return d == NULL ? "out of memory" : d->message;
}

void cjpeg_close(cjpeg_decoder *d) {
    if (d == NULL) return;
    if (d->created) jpeg_destroy_decompress(&d->cinfo);
    free(d);
}
