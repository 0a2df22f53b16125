// Stands in for libopencv_imgcodecs on the lent GPU machine, which has no OpenCV:
// Debian's real library drags in GDAL, GDCM, OpenEXR... (about 185 MB), too much to
// carry. The GPU check needs no image files, so every codec entry point that
// Cortado links throws instead. scripts/gpu_check.sh --prepare builds this against
// Debian's OpenCV headers and checks that it defines every imgcodecs symbol our
// objects use; tests that decode or encode images are left out of the GPU run.
#include <opencv2/imgcodecs.hpp>

#include <string>

namespace cv {
namespace {

[[noreturn]] void no_codecs(const char* function) {
  CV_Error(Error::StsNotImplemented,
           std::string(function) +
               ": image codecs are not in the GPU check build (scripts/gpu_check.sh)");
}

}  // namespace

Mat imread(const String&, int) { no_codecs("cv::imread"); }
bool imreadmulti(const String&, std::vector<Mat>&, int) { no_codecs("cv::imreadmulti"); }
Mat imdecode(InputArray, int) { no_codecs("cv::imdecode"); }
Mat imdecode(InputArray, int, Mat*) { no_codecs("cv::imdecode"); }
bool imencode(const String&, InputArray, std::vector<uchar>&, const std::vector<int>&) {
  no_codecs("cv::imencode");
}
bool imwrite(const String&, InputArray, const std::vector<int>&) { no_codecs("cv::imwrite"); }
bool haveImageReader(const String&) { return false; }
bool haveImageWriter(const String&) { return false; }

}  // namespace cv
