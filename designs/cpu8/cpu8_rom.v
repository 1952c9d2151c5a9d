// The program memory of cpu8: 256 16-bit words in one block RAM, read synchronously (the word
// at `addr` is on `data` the clock after). The program computes the N-th Fibonacci number
// modulo 256 (N in R2, 13 here: 233), writes it to the output port and halts.
module cpu8_rom (
    input  wire        clk,
    input  wire [7:0]  addr,
    output reg  [15:0] data
);
    reg [15:0] words [0:255];
    integer k;
    // Encoding: opcode in [15:12], register in [11:8] or an 8-bit immediate/address in [7:0].
    initial begin
        for (k = 0; k < 256; k = k + 1)
            words[k] = 16'h8000;           // HALT everywhere else
        words[0]  = 16'h0000;              // LDI 0
        words[1]  = 16'h2000;              // ST R0      a = 0
        words[2]  = 16'h0001;              // LDI 1
        words[3]  = 16'h2100;              // ST R1      b = 1
        words[4]  = 16'h000D;              // LDI 13
        words[5]  = 16'h2200;              // ST R2      n = 13
        words[6]  = 16'h1000;              // loop: LD R0
        words[7]  = 16'h3100;              // ADD R1
        words[8]  = 16'h2300;              // ST R3      t = a + b
        words[9]  = 16'h1100;              // LD R1
        words[10] = 16'h2000;              // ST R0      a = b
        words[11] = 16'h1300;              // LD R3
        words[12] = 16'h2100;              // ST R1      b = t
        words[13] = 16'h1200;              // LD R2
        words[14] = 16'h90FF;              // ADDI 255   n = n - 1
        words[15] = 16'h2200;              // ST R2
        words[16] = 16'hA006;              // JNZ loop
        words[17] = 16'h1000;              // LD R0
        words[18] = 16'h7000;              // OUT
        words[19] = 16'h8000;              // HALT
    end
    always @(posedge clk)
        data <= words[addr];
endmodule
