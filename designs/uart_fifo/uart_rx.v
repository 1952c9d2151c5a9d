// 8N1 UART receiver, CLKS_PER_BIT clocks a bit; `valid` pulses one clock with `data`.
module uart_rx #(parameter CLKS_PER_BIT = 104) (
    input  wire       clk,
    input  wire       rst,
    input  wire       rx,
    output reg        valid,
    output reg  [7:0] data
);
    localparam IDLE = 2'd0, START = 2'd1, BITS = 2'd2, STOP = 2'd3;
    reg [1:0] state;
    reg [15:0] timer;
    reg [2:0] index;
    reg rx_meta, rx_sync; // two flip-flops: rx is asynchronous to clk
    always @(posedge clk) begin
        rx_meta <= rx;
        rx_sync <= rx_meta;
    end
    always @(posedge clk)
        if (rst) begin
            state <= IDLE;
            valid <= 1'b0;
            timer <= 0;
            index <= 0;
            data <= 8'h00;
        end else begin
            valid <= 1'b0;
            case (state)
                IDLE: if (!rx_sync) begin
                    state <= START;
                    timer <= CLKS_PER_BIT / 2;
                end
                START: if (timer == 0) begin
                    state <= rx_sync ? IDLE : BITS; // a glitch, not a start bit
                    timer <= CLKS_PER_BIT - 1;
                    index <= 0;
                end else timer <= timer - 1'b1;
                BITS: if (timer == 0) begin
                    data <= {rx_sync, data[7:1]};
                    timer <= CLKS_PER_BIT - 1;
                    index <= index + 1'b1;
                    if (index == 3'd7) state <= STOP;
                end else timer <= timer - 1'b1;
                STOP: if (timer == 0) begin
                    state <= IDLE;
                    valid <= rx_sync; // a missing stop bit drops the byte
                end else timer <= timer - 1'b1;
            endcase
        end
endmodule
