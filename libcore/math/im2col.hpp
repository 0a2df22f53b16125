#pragma once
// Lowering of 2-d convolutions to GEMM. A batch of images is unrolled into one
// column matrix so that one GEMM covers several samples:
//   rows    (c, i, j)  channel c, kernel row i, kernel column j   (channels*kh*kw rows)
//   columns (n, y, x)  sample n, output position (y, x)           (num*col_h*col_w columns)
// entry = image n, channel c at (y*stride_h - pad_h + i*dilation_h,
//                               x*stride_w - pad_w + j*dilation_w), or 0 outside the image.
namespace cortado {

struct ConvGeometry {
  int channels = 0, height = 0, width = 0;  // the image that is unrolled
  int kernel_h = 1, kernel_w = 1;
  int pad_h = 0, pad_w = 0;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int col_h = 0, col_w = 0;  // kernel positions per axis (a convolution's output size)

  int image_count() const { return channels * height * width; }
  int col_rows() const { return channels * kernel_h * kernel_w; }
  int col_spatial() const { return col_h * col_w; }
};

// `images` holds `num` consecutive images of g.image_count() values.
void im2col(const ConvGeometry& g, const float* images, int num, float* col);
// The adjoint of im2col: overwrites the `num` images with the sum of every column
// entry that was read from each pixel.
void col2im(const ConvGeometry& g, const float* col, int num, float* images);

// `num` consecutive rows x cols blocks <-> one rows x (num*cols) matrix, block n
// in columns [n*cols, (n+1)*cols). For 1x1 kernels this is the whole im2col.
void to_channel_major(const float* src, int num, int rows, int cols, float* dst);
void from_channel_major(const float* src, int num, int rows, int cols, float* dst);

}  // namespace cortado
