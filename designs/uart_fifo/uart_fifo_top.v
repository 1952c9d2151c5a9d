// uart_fifo_top: a control-dominated design. Bytes received on `rx` go through an input FIFO,
// a small transform (lower-case letters become upper case, every other byte passes), an output
// FIFO and back out on `tx`; `overflow` latches when a byte is lost to a full FIFO.
// CLKS_PER_BIT 104 is 115200 baud at 12 MHz.
module uart_fifo_top #(
    parameter CLKS_PER_BIT = 104,
    parameter AW = 9
) (
    input  wire clk,
    input  wire rst,
    input  wire rx,
    output wire tx,
    output reg  overflow
);
    wire rx_valid, in_empty, in_full, out_empty, out_full, tx_busy;
    wire [7:0] rx_data, in_data, out_data;
    reg in_pop, out_pop, in_ready, out_ready;
    wire tx_start = out_ready; // the popped byte is on out_data only in this clock
    reg [7:0] moved;

    uart_rx #(.CLKS_PER_BIT(CLKS_PER_BIT)) receiver (
        .clk(clk), .rst(rst), .rx(rx), .valid(rx_valid), .data(rx_data));
    fifo #(.AW(AW)) in_fifo (
        .clk(clk), .rst(rst), .push(rx_valid), .push_data(rx_data), .pop(in_pop),
        .pop_data(in_data), .empty(in_empty), .full(in_full));
    wire [7:0] upper = (in_data >= "a" && in_data <= "z") ? in_data - 8'd32 : in_data;
    fifo #(.AW(AW)) out_fifo (
        .clk(clk), .rst(rst), .push(in_ready), .push_data(upper), .pop(out_pop),
        .pop_data(out_data), .empty(out_empty), .full(out_full));
    uart_tx #(.CLKS_PER_BIT(CLKS_PER_BIT)) transmitter (
        .clk(clk), .rst(rst), .start(tx_start), .data(out_data), .tx(tx), .busy(tx_busy));

    // One byte at a time through each FIFO: pop, then use the data the clock after (the read
    // port is registered and reads again every clock, so the byte is there for one clock only).
    always @(posedge clk)
        if (rst) begin
            in_pop <= 0; in_ready <= 0; out_pop <= 0; out_ready <= 0;
            overflow <= 0;
        end else begin
            in_pop <= !in_empty && !in_pop && !in_ready && !out_full;
            in_ready <= in_pop;
            out_pop <= !out_empty && !out_pop && !out_ready && !tx_busy;
            out_ready <= out_pop;
            if ((rx_valid && in_full) || (in_ready && out_full))
                overflow <= 1'b1;
        end
endmodule
