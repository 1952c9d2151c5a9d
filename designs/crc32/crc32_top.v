// crc32_top #(LANES, WORDS): LANES CRC-32 lanes, each fed WORDS 32-bit words by its own
// xorshift32 generator (seed = lane number + 1), then the XOR of the lanes' final CRCs (each
// inverted, as zlib returns it) is shifted out on `sig`, most significant bit first, one bit a
// cycle while `done` is high. LANES scales the design from a few percent to most of a device.
module crc32_top #(
    parameter LANES = 4,
    parameter WORDS = 64
) (
    input  wire clk,
    input  wire rst,
    output reg  done,
    output wire sig
);
    localparam CW = 16;
    reg [CW-1:0] count;
    reg [31:0] shift;
    reg running;
    wire [31:0] crc_of [0:LANES-1];
    reg [31:0] word_of [0:LANES-1];
    wire [31:0] folded [0:LANES];
    assign folded[0] = 32'h0;
    assign sig = shift[31];

    function [31:0] xorshift32(input [31:0] x);
        reg [31:0] y;
        begin
            y = x ^ (x << 13);
            y = y ^ (y >> 17);
            xorshift32 = y ^ (y << 5);
        end
    endfunction

    genvar lane;
    generate
        for (lane = 0; lane < LANES; lane = lane + 1) begin : lanes
            always @(posedge clk)
                if (rst)
                    word_of[lane] <= lane + 1;
                else if (running)
                    word_of[lane] <= xorshift32(word_of[lane]);
            crc32_lane engine (
                .clk(clk), .clear(rst), .enable(running), .data(word_of[lane]), .crc(crc_of[lane])
            );
            assign folded[lane+1] = folded[lane] ^ ~crc_of[lane];
        end
    endgenerate

    always @(posedge clk)
        if (rst) begin
            count <= 0;
            running <= 1'b1;
            done <= 1'b0;
            shift <= 32'h0;
        end else if (running) begin
            count <= count + 1'b1;
            if (count == WORDS - 1)
                running <= 1'b0;
        end else if (!done) begin
            done <= 1'b1;
            shift <= folded[LANES];
        end else begin
            shift <= {shift[30:0], 1'b0};
        end
endmodule
