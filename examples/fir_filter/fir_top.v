// The FIR filter example's board top: TAPS taps of W-bit signed samples with the triangular
// coefficients of fir_defs.v. A sample is taken when in_valid is high; out_data is the filter's
// output for that sample (the sum over its last TAPS samples), with out_valid, two clocks later.
module fir_top #(
    parameter integer TAPS = 4, // number of taps, 2..16
    parameter integer W = 8     // sample width; the pin files wire W = 8
) (
    input  wire             clk,
    input  wire             rst_in,
    input  wire             in_valid,
    input  wire [W-1:0]     in_data,
    output reg              out_valid,
    output wire [2*W-1:0]   out_data
);
    // Wide enough for the full sum, and at least as wide as out_data.
    localparam integer SUM_W = W + `FIR_COEFF_W + $clog2(TAPS);
    localparam integer ACC_W = SUM_W > 2 * W ? SUM_W : 2 * W;

    wire rst;
    fir_reset_sync reset_sync (.clk(clk), .rst_in(rst_in), .rst(rst));

    // The input register: each tap sees the same sample (transposed form).
    reg signed [W-1:0] sample;
    reg                sample_valid;
    always @(posedge clk)
        if (rst) begin
            sample <= {W{1'b0}};
            sample_valid <= 1'b0;
        end else begin
            sample <= in_data;
            sample_valid <= in_valid;
        end

    // partial[k] is tap k's registered sum; tap TAPS-1 starts from zero.
    wire signed [ACC_W-1:0] partial[0:TAPS];
    assign partial[TAPS] = {ACC_W{1'b0}};
    genvar k;
    generate
        for (k = 0; k < TAPS; k = k + 1) begin : tap
            fir_tap #(.W(W), .ACC_W(ACC_W), .COEFF(`FIR_COEFF(k, TAPS))) stage (
                .clk(clk), .rst(rst), .en(sample_valid),
                .sample(sample), .sum_in(partial[k + 1]), .sum_out(partial[k]));
        end
    endgenerate

    // The output: tap 0's register (its lowest bits dropped when ACC_W > 2*W), valid on the
    // clock after the taps took the sample.
    assign out_data = partial[0][ACC_W-1 -: 2 * W];
    always @(posedge clk)
        if (rst)
            out_valid <= 1'b0;
        else
            out_valid <= sample_valid;
endmodule
