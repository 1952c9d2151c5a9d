// One tap of a transposed-form FIR filter: on each valid sample it adds COEFF * sample to the
// partial sum arriving from the next tap and registers the result.
module fir_tap #(
    parameter integer W = 8,      // sample width (signed)
    parameter integer ACC_W = 16, // partial-sum width (signed)
    parameter integer COEFF = 1   // this tap's coefficient, below 2^(FIR_COEFF_W-1)
) (
    input  wire                    clk,
    input  wire                    rst,
    input  wire                    en,
    input  wire signed [W-1:0]     sample,
    input  wire signed [ACC_W-1:0] sum_in,
    output reg  signed [ACC_W-1:0] sum_out
);
    wire signed [`FIR_COEFF_W-1:0] coeff = COEFF;
    always @(posedge clk)
        if (rst)
            sum_out <= {ACC_W{1'b0}};
        else if (en)
            sum_out <= sum_in + sample * coeff;
endmodule
