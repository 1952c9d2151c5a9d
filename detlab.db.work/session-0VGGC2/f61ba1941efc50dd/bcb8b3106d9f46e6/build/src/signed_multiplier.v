// Signed W x W -> 2W multiplier as a chain of narrow shift-and-add rows.
//
// iCE40 HX parts have no DSP blocks, and Yosys 0.23 maps `a * b` to full-width adders (about
// 180 LUTs for 8 x 8). Here each row adds b[i] * a to a (W+1)-bit partial sum that drops one
// finished low bit per row, so every adder stays W+1 bits wide (about 127 LUTs for 8 x 8, which
// is what lets the 2 x 2 board top fit an HX1K). The top row subtracts: b is two's complement.
// W+1 bits suffice: each partial sum is less than 2|a| <= 2^W in magnitude.
//
// Simulators run this much slower than a native multiply, so the Verilated model defines
// DETLAB_BEHAVIOURAL_MULTIPLIER and gets `a * b` instead; tests/accel proves both forms equal
// for all 2^(2W) operand pairs, and the board-top tests simulate this structural form.
`default_nettype none

module signed_multiplier #(
    parameter W  = 8,
    parameter PW = 2 * W // product width: the 2W-bit product sign-extended to PW >= 2W bits
) (
    input  wire [W-1:0]  a,
    input  wire [W-1:0]  b,
    output wire [PW-1:0] product
);
`ifdef DETLAB_BEHAVIOURAL_MULTIPLIER
    assign product = $signed(a) * $signed(b); // operands sign-extended to PW bits first
`else
    wire [2*W-1:0] full;
    wire [W:0] a_ext = {a[W-1], a};

    // row[i].partial = (sum over rows 0..i of b[r] * a * 2^r) >> i; its bit 0 is final.
    // One wire per generate block (not an array) so Verilator sees no combinational loop.
    genvar i;
    generate
        for (i = 0; i < W; i = i + 1) begin : row
            wire [W:0] partial;
            wire [W:0] addend = b[i] ? a_ext : {(W+1){1'b0}};
            if (i == 0) begin : first_row
                assign partial = addend;
            end else begin : next_row
                wire [W:0] carried = {row[i-1].partial[W], row[i-1].partial[W:1]};
                if (i == W - 1) begin : sign_row
                    assign partial = carried - addend;
                end else begin : plain_row
                    assign partial = carried + addend;
                end
                assign full[i-1] = row[i-1].partial[0];
            end
        end
    endgenerate
    assign full[2*W-1:W-1] = row[W-1].partial[W:0];
    if (PW > 2 * W) begin : extend
        assign product = {{(PW-2*W){full[2*W-1]}}, full};
    end else begin : exact
        assign product = full;
    end
`endif
endmodule

`default_nettype wire
