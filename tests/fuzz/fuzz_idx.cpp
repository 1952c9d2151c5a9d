// Fuzzes the IDX data-set decoder (Fashion-MNIST's files, or any a user points
// DETLAB_FASHION_MNIST at). Input: u32 little-endian length of the image file, the image file,
// then the label file. Malformed input must end in std::runtime_error; a decoded data set must
// hold one label per image and `features` values per image.
#include "harness/train/train.h"

#include <cstdlib>
#include <cstring>
#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 4)
        return 0;
    std::uint32_t image_size = 0;
    std::memcpy(&image_size, data, 4);
    std::size_t images_end = 4 + std::min<std::size_t>(image_size, size - 4);
    detlab::Bytes images(data + 4, data + images_end), labels(data + images_end, data + size);
    detlab::train::Dataset set;
    try {
        set = detlab::train::decode_idx(images, labels, "images", "labels");
    } catch (const std::runtime_error&) {
        return 0;
    }
    if (set.labels.size() != set.size() || set.features < 0 ||
        set.inputs.size() != set.size() * static_cast<std::size_t>(set.features))
        std::abort();
    for (int label : set.labels)
        if (label < 0 || label >= set.classes)
            std::abort();
    return 0;
}
