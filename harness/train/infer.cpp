// Inference with a stored model: the MLP rebuilt from a weights.bin blob's tensors runs the
// training's own forward pass, so a trained model can be evaluated on any MatmulBackend after
// the fact.
#include "harness/train/mlp.h"
#include "harness/train/train.h"

namespace detlab::train {

std::vector<float> infer_logits(const std::vector<Tensor>& weights, const float* inputs, int count,
                                MatmulBackend& matmul) {
    Mlp model = Mlp::from_tensors(weights);
    return model.forward(inputs, count, matmul);
}

} // namespace detlab::train
