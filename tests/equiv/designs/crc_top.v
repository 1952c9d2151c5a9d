// A second, small design for the equivalence tests (not the accelerator): a CRC-8 over a serial
// input with enable and synchronous reset, and a 4-bit counter of the accepted bits. Its own top
// module and ports; every output mixes several state bits, so a wrong LUT shows.
`default_nettype none

module crc_top (
    input  wire clk,
    input  wire rst,
    input  wire en,
    input  wire din,
    output wire q0,
    output wire q1,
    output wire q2,
    output wire q3,
    output wire q4,
    output wire par
);
    reg [7:0] crc = 8'h00;
    reg [3:0] count = 4'd0;
    wire feedback = crc[7] ^ din;

    always @(posedge clk)
        if (rst) begin
            crc <= 8'h00;
            count <= 4'd0;
        end else if (en) begin
            crc <= {crc[6:0], 1'b0} ^ (feedback ? 8'h07 : 8'h00); // x^8 + x^2 + x + 1
            count <= count + 4'd1;
        end

    assign q0 = crc[0] ^ crc[4];
    assign q1 = crc[1] ^ count[0];
    assign q2 = crc[2] & crc[5];
    assign q3 = crc[3] | count[3];
    assign q4 = crc[7] ^ count[2];
    assign par = ^crc ^ ^count;
endmodule
