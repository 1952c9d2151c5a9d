// One CRC-32 lane (the reflected polynomial 0xEDB88320 of zlib, Ethernet and PNG): it consumes
// 32 data bits a cycle, least significant bit first, so a lane fed the words w0, w1, ... holds
// zlib's crc32 of their bytes in little-endian order (before the final inversion). The 32 steps
// unroll into a wide XOR network: the logic-dense part of the suite.
module crc32_lane (
    input  wire        clk,
    input  wire        clear,
    input  wire        enable,
    input  wire [31:0] data,
    output reg  [31:0] crc
);
    function [31:0] step32(input [31:0] state, input [31:0] word);
        integer i;
        reg [31:0] c;
        begin
            c = state;
            for (i = 0; i < 32; i = i + 1)
                c = (c[0] ^ word[i]) ? ((c >> 1) ^ 32'hEDB88320) : (c >> 1);
            step32 = c;
        end
    endfunction

    always @(posedge clk)
        if (clear)
            crc <= 32'hFFFFFFFF;
        else if (enable)
            crc <= step32(crc, data);
endmodule
