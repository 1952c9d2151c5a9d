// The board top's serial protocol off the normal path, checked against the responses its header
// comment defines (docs/accelerator.md). Two 2x2 targets share sck, mosi and one MISO wire, each
// with its own cs_n, as on a real bus: `wide` has KMAX = 256, `narrow` KMAX = 16. A target that
// drives MISO while its cs_n is high turns the shared wire into x, which every check sees.
//
//   iverilog -o tb rtl/tb/protocol_tb.v <rtl/sources.txt files> && vvp -n tb
//
// Checks: MISO is high impedance whenever both cs_n are high; a frame cut by cs_n mid-byte
// (mid-opcode, and mid-operand with a word left incomplete) changes nothing; an unknown opcode
// reads 0x00 and changes nothing; READ_C before the first run and during a run reads 0x00 with
// the status saying why; RUN with K > KMAX starts nothing and clears done. Every wrong answer ends with $fatal, so vvp exits non-zero; success prints "pass".
`default_nettype none

module protocol_tb;
    localparam HALF = 4; // clk cycles sck stays low and high (the board top needs >= 4)
    reg clk = 1'b0;
    reg sck = 1'b0, mosi = 1'b0, cs_wide = 1'b1, cs_narrow = 1'b1;
    wire miso;

    detlab_top #(.N(2), .KMAX(256)) wide (
        .clk(clk), .spi_sck(sck), .spi_cs_n(cs_wide), .spi_mosi(mosi), .spi_miso(miso));
    detlab_top #(.N(2), .KMAX(16)) narrow (
        .clk(clk), .spi_sck(sck), .spi_cs_n(cs_narrow), .spi_mosi(mosi), .spi_miso(miso));

    always #5 clk = !clk;

    // MISO released: from a few cycles after both cs_n are high (the target samples cs_n
    // through a synchroniser) until the next fall.
    integer idle_cycles = 0;
    reg watching = 1'b0;
    always @(negedge clk) begin
        idle_cycles = (cs_wide && cs_narrow) ? idle_cycles + 1 : 0;
        if (watching && idle_cycles > 4 && miso !== 1'bz)
            $fatal(1, "protocol_tb: MISO is %b while both cs_n are high (want z)", miso);
    end

    task wait_cycles(input integer n);
        integer c;
        for (c = 0; c < n; c = c + 1)
            @(negedge clk);
    endtask

    reg [7:0] rx;
    // Clocks `bits` bits of `value` (MSB first) into the selected target; rx holds what came back.
    task clock_bits(input [7:0] value, input integer bits);
        integer b;
        for (b = 7; b > 7 - bits; b = b - 1) begin
            mosi = value[b];
            wait_cycles(HALF);
            sck = 1'b1;
            rx[b] = miso;
            if (miso !== 1'b0 && miso !== 1'b1)
                $fatal(1, "protocol_tb: MISO is %b inside a frame", miso);
            wait_cycles(HALF);
            sck = 1'b0;
        end
    endtask

    task select(input narrow_target);
        begin
            if (narrow_target)
                cs_narrow = 1'b0;
            else
                cs_wide = 1'b0;
        end
    endtask

    task deselect;
        begin
            wait_cycles(HALF);
            cs_wide = 1'b1;
            cs_narrow = 1'b1;
            wait_cycles(3 * HALF);
        end
    endtask

    task expect_byte(input [7:0] sent, input [7:0] want, input [8*40-1:0] what);
        begin
            clock_bits(sent, 8);
            if (rx !== want)
                $fatal(1, "protocol_tb: %0s: read %02x, want %02x", what, rx, want);
        end
    endtask

    // A one-frame command: the opcode (the status must read `status`), then `count` bytes of
    // `data` (first in the low byte) whose replies must all be `reply`.
    task command(input narrow_target, input [7:0] opcode, input [7:0] status,
                 input [63:0] data, input integer count, input [7:0] reply,
                 input [8*40-1:0] what);
        integer i;
        begin
            select(narrow_target);
            expect_byte(opcode, status, what);
            for (i = 0; i < count; i = i + 1)
                expect_byte(data[8*i +: 8], reply, what);
            deselect;
        end
    endtask

    // A = [[1, 3], [2, -4]], B = [[5, 6], [-7, 8]] (K = 2): words k = 0, 1 of A are columns,
    // of B rows. C = [[-16, 30], [38, -20]], 3 bytes each, big-endian.
    localparam [31:0] A_WORDS = 32'hfc_03_02_01, B_WORDS = 32'h08_f9_06_05;
    localparam [95:0] C_BYTES = 96'hff_ff_f0_00_00_1e_00_00_26_ff_ff_ec;

    task expect_c(input narrow_target, input [8*40-1:0] what);
        integer i;
        begin
            select(narrow_target);
            expect_byte(8'h04, 8'h42, what);
            for (i = 11; i >= 0; i = i - 1)
                expect_byte(8'h00, C_BYTES[8*i +: 8], what);
            deselect;
        end
    endtask

    task load_and_run(input narrow_target);
        begin
            command(narrow_target, 8'h01, 8'h02, A_WORDS, 4, 8'h00, "WRITE_A");
            command(narrow_target, 8'h02, 8'h02, B_WORDS, 4, 8'h00, "WRITE_B");
            command(narrow_target, 8'h03, 8'h02, 64'h01, 1, 8'h00, "RUN K=2");
            wait_cycles(64);
        end
    endtask

    integer i;
    initial begin
        wait_cycles(32); // power-on reset
        watching = 1'b1;
        wait_cycles(8);
        // sck and mosi toggling with both targets deselected: MISO stays released.
        for (i = 0; i < 8; i = i + 1) begin
            mosi = i[0];
            sck = !sck;
            wait_cycles(HALF);
        end
        sck = 1'b0;

        // Before any run: the status is idle, N = 2, and READ_C reads zeros.
        command(0, 8'h04, 8'h02, 64'h0, 6, 8'h00, "READ_C before any run");
        // An unknown opcode: zeros back, nothing changes.
        command(0, 8'h55, 8'h02, 64'h0301_0201, 4, 8'h00, "unknown opcode");
        command(0, 8'h00, 8'h02, 64'h0, 1, 8'h00, "status after unknown opcode");

        load_and_run(0);
        expect_c(0, "READ_C after RUN K=2");

        // cs_n rising mid-opcode, then mid-operand with one word incomplete: nothing is written.
        select(0);
        clock_bits(8'h01, 4);
        deselect;
        select(0);
        expect_byte(8'h01, 8'h42, "WRITE_A cut short");
        expect_byte(8'h7f, 8'h00, "WRITE_A cut short");
        clock_bits(8'h7f, 3);
        deselect;
        command(0, 8'h03, 8'h42, 64'h01, 1, 8'h00, "RUN after a cut frame");
        wait_cycles(64);
        expect_c(0, "READ_C after a cut WRITE_A");

        // READ_C during a run of K = 256 (about 263 cycles): status busy, zeros.
        command(0, 8'h03, 8'h42, 64'hff, 1, 8'h00, "RUN K=256");
        select(0);
        expect_byte(8'h04, 8'h82, "READ_C during a run");
        expect_byte(8'h00, 8'h00, "READ_C during a run");
        expect_byte(8'h00, 8'h00, "READ_C during a run");
        deselect;
        wait_cycles(300);
        command(0, 8'h00, 8'h42, 64'h0, 0, 8'h00, "status after K=256");

        // The narrow target (KMAX = 16): K = 2 works, K = 17 is refused and clears done,
        // K = 16 runs again.
        load_and_run(1);
        expect_c(1, "narrow READ_C after RUN K=2");
        command(1, 8'h03, 8'h42, 64'h10, 1, 8'h00, "RUN K=17 > KMAX");
        wait_cycles(64);
        command(1, 8'h04, 8'h02, 64'h0, 3, 8'h00, "READ_C after a refused RUN");
        command(1, 8'h03, 8'h02, 64'h0f, 1, 8'h00, "RUN K=16 = KMAX");
        wait_cycles(64);
        command(1, 8'h00, 8'h42, 64'h0, 0, 8'h00, "status after K=16");
        // The wide target was not disturbed by the narrow one's frames.
        command(0, 8'h00, 8'h42, 64'h0, 0, 8'h00, "wide status at the end");

        $display("protocol_tb: pass");
        $finish;
    end
endmodule

`default_nettype wire
