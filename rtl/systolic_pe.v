// One processing element of the output-stationary systolic array.
//
// Operands arrive from the left (a, with the valid/first/last flags of the item) and from the
// top (b) and are passed on registered, one PE per cycle. The accumulator restarts on an item
// flagged `first`, so tiles follow each other without a clear cycle. On an item flagged
// `last`, the finished sum is copied into the result register, which holds it while the
// accumulator already works on the next tile (double buffering, no drain bubble).
`default_nettype none

module systolic_pe #(
    parameter W  = 8,   // signed operand width
    parameter AW = 24   // accumulator width (two's-complement wrap-around)
) (
    input  wire                 clk,
    input  wire                 rst,
    input  wire signed [W-1:0]  a_in,
    input  wire signed [W-1:0]  b_in,
    input  wire                 valid_in,
    input  wire                 first_in,
    input  wire                 last_in,
    output reg  signed [W-1:0]  a_out,
    output reg  signed [W-1:0]  b_out,
    output reg                  valid_out,
    output reg                  first_out,
    output reg                  last_out,
    output reg         [AW-1:0] result
);
    wire        [2*W-1:0] product;
    signed_multiplier #(.W(W)) multiplier (.a(a_in), .b(b_in), .product(product));
    // Sign-extends the full-precision product to the accumulator width (needs AW > 2W).
    wire        [AW-1:0]  product_ext = {{(AW-2*W){product[2*W-1]}}, product};
    reg         [AW-1:0]  acc;
    wire        [AW-1:0]  sum = first_in ? product_ext : acc + product_ext;

    always @(posedge clk) begin
        a_out <= a_in;
        b_out <= b_in;
        if (valid_in)
            acc <= sum;
        if (valid_in && last_in)
            result <= sum;
        if (rst) begin
            valid_out <= 1'b0;
            first_out <= 1'b0;
            last_out  <= 1'b0;
        end else begin
            valid_out <= valid_in;
            first_out <= first_in;
            last_out  <= last_in;
        end
    end
endmodule

`default_nettype wire
