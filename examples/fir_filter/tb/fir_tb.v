// Testbench of fir_top: pseudo-random samples (with gaps in in_valid) against a reference
// model of the same filter; any mismatch ends the simulation through $fatal.
// iverilog -g2012 [-Pfir_tb.TAPS=8] -o fir_tb ../fir_defs.v ../fir_reset_sync.v ../fir_tap.v ../fir_top.v fir_tb.v
`timescale 1ns / 1ps
module fir_tb;
    parameter integer TAPS = 4;
    localparam integer W = 8;
    localparam integer SAMPLES = 400;
    // The low bits fir_top drops from its sum to fit out_data (see its ACC_W).
    localparam integer SUM_W = W + `FIR_COEFF_W + $clog2(TAPS);
    localparam integer DROP = SUM_W > 2 * W ? SUM_W - 2 * W : 0;

    reg clk = 1'b0;
    reg rst_in = 1'b1;
    reg in_valid = 1'b0;
    reg [W-1:0] in_data = 0;
    wire out_valid;
    wire [2*W-1:0] out_data;

    fir_top #(.TAPS(TAPS), .W(W)) dut (
        .clk(clk), .rst_in(rst_in), .in_valid(in_valid), .in_data(in_data),
        .out_valid(out_valid), .out_data(out_data));

    always #5 clk = ~clk;

    integer history[0:TAPS-1]; // the last TAPS samples, newest first
    integer expected[0:SAMPLES-1];
    integer sent = 0, received = 0, i, sum;
    reg [31:0] lfsr = 32'h1234_5678;

    // The reference output for the sample just taken.
    task automatic take(input integer value);
        begin
            for (i = TAPS - 1; i > 0; i = i - 1)
                history[i] = history[i - 1];
            history[0] = value;
            sum = 0;
            for (i = 0; i < TAPS; i = i + 1)
                sum = sum + history[i] * `FIR_COEFF(i, TAPS);
            expected[sent] = sum >>> DROP;
        end
    endtask

    initial begin
        for (i = 0; i < TAPS; i = i + 1)
            history[i] = 0;
        repeat (4) @(posedge clk);
        rst_in <= 1'b0;
        repeat (3) @(posedge clk);
        while (sent < SAMPLES) begin
            lfsr = {lfsr[30:0], lfsr[31] ^ lfsr[21] ^ lfsr[1] ^ lfsr[0]};
            in_valid <= lfsr[3:0] != 4'h0; // about one cycle in 16 without a sample
            in_data <= lfsr[15:8];
            if (lfsr[3:0] != 4'h0) begin
                take($signed(lfsr[15:8]));
                sent = sent + 1;
            end
            @(posedge clk);
        end
        in_valid <= 1'b0;
        repeat (5) @(posedge clk);
        if (received != SAMPLES)
            $fatal(1, "fir_tb: %0d outputs for %0d samples", received, SAMPLES);
        $display("fir_tb: %0d samples, all outputs match the reference", SAMPLES);
        $finish;
    end

    always @(posedge clk)
        if (out_valid) begin
            if ($signed(out_data) !== expected[received])
                $fatal(1, "fir_tb: output %0d is %0d, expected %0d", received,
                       $signed(out_data), expected[received]);
            received <= received + 1;
        end
endmodule
