// Sends a message to uart_fifo_top through a UART model and checks that what comes back is the
// golden transform of it (computed here: a..z to upper case, other bytes unchanged), byte for
// byte, with no overflow. CLKS_PER_BIT is small so the simulation is short.
// Prints "PASS <n> bytes" or "FAIL ..." and finishes.
`timescale 1ns / 1ps
module uart_fifo_tb;
    localparam CPB = 8;
    localparam N = 40;
    reg clk = 0, rst = 1, rx = 1;
    wire tx, overflow;
    uart_fifo_top #(.CLKS_PER_BIT(CPB), .AW(4)) dut (
        .clk(clk), .rst(rst), .rx(rx), .tx(tx), .overflow(overflow));
    always #5 clk = ~clk;

    reg [7:0] message [0:N-1];
    reg [7:0] got, want;
    integer i, j, b, errors = 0, received = 0; // i: sender, j and b: receiver

    task send(input [7:0] value);
        integer k;
        begin
            rx <= 0;
            repeat (CPB) @(posedge clk);
            for (k = 0; k < 8; k = k + 1) begin
                rx <= value[k];
                repeat (CPB) @(posedge clk);
            end
            rx <= 1;
            repeat (CPB) @(posedge clk);
        end
    endtask

    initial begin
        for (i = 0; i < N; i = i + 1)
            message[i] = (i * 37 + 11) % 128; // letters, digits, punctuation, control bytes
        repeat (4) @(posedge clk);
        rst <= 0;
        for (i = 0; i < N; i = i + 1)
            send(message[i]);
    end

    initial begin : receive
        for (b = 0; b < N; b = b + 1) begin
            @(negedge tx);
            repeat (CPB + CPB / 2) @(posedge clk);
            for (j = 0; j < 8; j = j + 1) begin
                got[j] = tx;
                repeat (CPB) @(posedge clk);
            end
            want = (message[b] >= "a" && message[b] <= "z") ? message[b] - 8'd32 : message[b];
            if (got !== want) begin
                errors = errors + 1;
                $display("byte %0d: got %02x expected %02x", b, got, want);
            end
            received = received + 1;
        end
        if (errors == 0 && !overflow) $display("PASS %0d bytes", received);
        else $display("FAIL %0d errors, overflow %0d", errors, overflow);
        $finish;
    end

    initial begin
        #(N * 12 * CPB * 10 * 4);
        $display("FAIL timeout after %0d bytes", received);
        $finish;
    end
endmodule
