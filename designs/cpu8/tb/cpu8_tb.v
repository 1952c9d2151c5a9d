// Runs cpu8_top until it halts and compares its output with the golden value computed here:
// the 13th Fibonacci number modulo 256 (F(0) = 0, F(1) = 1), the program in cpu8_rom.v.
// Prints "PASS <value>" or "FAIL ..." and finishes.
`timescale 1ns / 1ps
module cpu8_tb;
    reg clk = 0, rst = 1;
    wire [7:0] out;
    wire halted;
    cpu8_top dut (.clk(clk), .rst(rst), .out(out), .halted(halted));
    always #5 clk = ~clk;
    reg [7:0] a, b, t;
    integer n;
    initial begin
        a = 0;
        b = 1;
        for (n = 0; n < 13; n = n + 1) begin
            t = a + b;
            a = b;
            b = t;
        end
        repeat (2) @(posedge clk);
        rst <= 0;
        fork
            begin
                wait (halted);
                if (out === a) $display("PASS %0d", out);
                else $display("FAIL got %0d expected %0d", out, a);
                $finish;
            end
            begin
                repeat (10000) @(posedge clk);
                $display("FAIL no HALT in 10000 clocks");
                $finish;
            end
        join
    end
endmodule
