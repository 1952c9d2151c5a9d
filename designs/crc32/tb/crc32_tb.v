// Runs crc32_top and compares its signature with a golden model computed here from the
// definition: per lane, the same xorshift32 words, each split into its 4 bytes (little endian)
// and folded into a byte-at-a-time reflected CRC-32, inverted at the end; lanes XORed.
// Prints "PASS <signature>" or "FAIL ..." and finishes.
`timescale 1ns / 1ps
module crc32_tb;
    parameter LANES = 4;
    parameter WORDS = 64;
    reg clk = 0, rst = 1;
    wire done, sig;
    crc32_top #(.LANES(LANES), .WORDS(WORDS)) dut (.clk(clk), .rst(rst), .done(done), .sig(sig));
    always #5 clk = ~clk;

    function [31:0] crc_byte(input [31:0] c, input [7:0] b);
        integer k;
        reg [31:0] x;
        begin
            x = c ^ b;
            for (k = 0; k < 8; k = k + 1)
                x = x[0] ? ((x >> 1) ^ 32'hEDB88320) : (x >> 1);
            crc_byte = x;
        end
    endfunction

    reg [31:0] expected, got, w, c, y;
    integer lane, n, i;
    initial begin
        expected = 0;
        for (lane = 0; lane < LANES; lane = lane + 1) begin
            w = lane + 1;
            c = 32'hFFFFFFFF;
            for (n = 0; n < WORDS; n = n + 1) begin
                for (i = 0; i < 4; i = i + 1)
                    c = crc_byte(c, w[8*i+:8]);
                y = w ^ (w << 13);
                y = y ^ (y >> 17);
                w = y ^ (y << 5);
            end
            expected = expected ^ ~c;
        end
        repeat (2) @(posedge clk);
        rst <= 0;
        wait (done);
        for (i = 0; i < 32; i = i + 1) begin
            @(negedge clk);
            got = {got[30:0], sig};
        end
        if (got === expected) $display("PASS %08x", got);
        else $display("FAIL got %08x expected %08x", got, expected);
        $finish;
    end
endmodule
