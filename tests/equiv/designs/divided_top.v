// A design the random-stimulus check cannot simulate (tests): its second register runs on a
// clock divided in logic, so the bitstream's flip-flops use two clocks.
`default_nettype none

module divided_top (
    input  wire clk,
    input  wire din,
    output wire q0
);
    reg half = 1'b0;
    reg sampled = 1'b0;

    always @(posedge clk)
        half <= ~half;
    always @(posedge half)
        sampled <= din;

    assign q0 = sampled;
endmodule
