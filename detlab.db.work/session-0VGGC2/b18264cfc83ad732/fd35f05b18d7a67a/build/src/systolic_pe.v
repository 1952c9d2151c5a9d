// One processing element of the output-stationary systolic array.
//
// Operands arrive from the left (a) and from the top (b) and are passed on registered, one PE
// per cycle; the first/last flags of the slice come from the array's anti-diagonal flag line
// (every PE with the same i+j sees the same slice). The accumulator restarts on a slice
// flagged `first`, so tiles follow each other without a clear cycle. On a slice flagged `last`
// the finished sum is copied into the result register, which holds it while the accumulator
// already works on the next tile (double buffering, no drain bubble). Between tiles the
// accumulator may take in anything: the next `first` overwrites it.
`default_nettype none

module systolic_pe #(
    parameter W  = 8,   // signed operand width
    parameter AW = 24   // accumulator width (two's-complement wrap-around)
) (
    input  wire          clk,
    input  wire [W-1:0]  a_in,
    input  wire [W-1:0]  b_in,
    input  wire          first_in,
    input  wire          last_in,
    output reg  [W-1:0]  a_out,
    output reg  [W-1:0]  b_out,
    output reg  [AW-1:0] result
);
    // The full-precision product, sign-extended to the accumulator width (needs AW >= 2W).
    wire [AW-1:0]  product_ext;
    signed_multiplier #(.W(W), .PW(AW)) multiplier (.a(a_in), .b(b_in), .product(product_ext));
    reg  [AW-1:0]  acc;
    wire [AW-1:0]  sum = first_in ? product_ext : acc + product_ext;

    always @(posedge clk) begin
        a_out <= a_in;
        b_out <= b_in;
        acc   <= sum;
        if (last_in)
            result <= sum;
    end
endmodule

`default_nettype wire
