// A JPEG decoder that drives libjpeg(-turbo) the way Pillow's src/libImaging/JpegDecode.c does,
// so that it accepts exactly the streams Pillow accepts and writes exactly its samples.
#ifndef CJPEG_DECODER_H
#define CJPEG_DECODER_H

#include <stddef.h>
#include <stdint.h>

/// Outcome of a call: decoded, the data ended first (Pillow: "image file is truncated"), or libjpeg
/// raised an error (Pillow: "broken data stream"), whose text is in `cjpeg_message`.
typedef enum { CJPEG_OK = 0, CJPEG_TRUNCATED = 1, CJPEG_ERROR = 2 } cjpeg_status;

/// What the header says, and the size and layout of the samples `cjpeg_decode` will write.
typedef struct {
    int width, height;                 // the frame's size
    int components;                    // 1, 3 or 4 (as in the SOF)
    int output_width, output_height;   // after DCT scaling
    int output_components;             // 1 (grey), 3 (RGB) or 4 (CMYK as libjpeg writes it)
    int progressive, arithmetic;
} cjpeg_info;

typedef struct cjpeg_decoder cjpeg_decoder;

/// Reads the header of `data` (which must stay alive until `cjpeg_close`), sets Pillow's output
/// colour space and the scale 1/`scale_denom` (1, 2, 4 or 8), and fills `info`. Allocates no pixels.
cjpeg_status cjpeg_open(const uint8_t *data, size_t size, int scale_denom, cjpeg_decoder **decoder,
                        cjpeg_info *info);

/// Decodes every row into `out`, which holds exactly output_width * output_height * output_components
/// bytes. On anything but CJPEG_OK the contents of `out` mean nothing.
cjpeg_status cjpeg_decode(cjpeg_decoder *decoder, uint8_t *out, size_t out_size);

/// The message of the last CJPEG_ERROR (or a fixed text for the other failures); owned by `decoder`.
const char *cjpeg_message(const cjpeg_decoder *decoder);

/// Frees the decoder; accepts NULL.
void cjpeg_close(cjpeg_decoder *decoder);

#endif
