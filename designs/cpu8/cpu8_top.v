// cpu8_top: a small accumulator CPU running its program from block RAM (cpu8_rom.v): an 8-bit
// accumulator, 16 registers, two clocks an instruction (fetch from the synchronous ROM, then
// execute). `out` shows the last OUT, `halted` rises at HALT.
// Opcodes: 0 LDI imm, 1 LD r, 2 ST r, 3 ADD r, 4 SUB r, 5 JZ a, 6 JMP a, 7 OUT, 8 HALT,
// 9 ADDI imm, A JNZ a, B XOR r.
module cpu8_top (
    input  wire       clk,
    input  wire       rst,
    output reg  [7:0] out,
    output reg        halted
);
    reg [7:0] pc, acc;
    reg [7:0] regs [0:15];
    reg execute;
    wire [15:0] instr;
    cpu8_rom rom (.clk(clk), .addr(pc), .data(instr));
    wire [3:0] op = instr[15:12];
    wire [3:0] r = instr[11:8];
    wire [7:0] imm = instr[7:0];

    always @(posedge clk)
        if (rst) begin
            pc <= 0;
            acc <= 0;
            out <= 0;
            halted <= 0;
            execute <= 0;
        end else if (!halted) begin
            execute <= !execute;
            if (execute) begin
                pc <= pc + 1'b1;
                case (op)
                    4'h0: acc <= imm;
                    4'h1: acc <= regs[r];
                    4'h2: regs[r] <= acc;
                    4'h3: acc <= acc + regs[r];
                    4'h4: acc <= acc - regs[r];
                    4'h5: if (acc == 0) pc <= imm;
                    4'h6: pc <= imm;
                    4'h7: out <= acc;
                    4'h8: begin halted <= 1; pc <= pc; end
                    4'h9: acc <= acc + imm;
                    4'hA: if (acc != 0) pc <= imm;
                    4'hB: acc <= acc ^ regs[r];
                    default: ;
                endcase
            end
        end
endmodule
