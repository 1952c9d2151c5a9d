// 8N1 UART transmitter: `start` with `data` when `busy` is low.
module uart_tx #(parameter CLKS_PER_BIT = 104) (
    input  wire       clk,
    input  wire       rst,
    input  wire       start,
    input  wire [7:0] data,
    output reg        tx,
    output wire       busy
);
    reg [9:0] frame;
    reg [3:0] left;
    reg [15:0] timer;
    assign busy = left != 0;
    always @(posedge clk)
        if (rst) begin
            tx <= 1'b1;
            left <= 0;
            timer <= 0;
            frame <= 10'h3FF;
        end else if (!busy) begin
            tx <= 1'b1;
            if (start) begin
                frame <= {1'b1, data, 1'b0};
                left <= 4'd11; // start, 8 data, stop, and the stop bit held a full bit time
                timer <= 0;
            end
        end else if (timer == 0) begin
            tx <= frame[0];
            frame <= {1'b1, frame[9:1]};
            timer <= CLKS_PER_BIT - 1;
            left <= left - 1'b1;
        end else
            timer <= timer - 1'b1;
endmodule
