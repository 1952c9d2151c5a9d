// Synchronous FIFO of 2**AW bytes in one inferred block RAM (registered read port): the data
// read is valid the clock after `pop`.
module fifo #(parameter AW = 9) (
    input  wire       clk,
    input  wire       rst,
    input  wire       push,
    input  wire [7:0] push_data,
    input  wire       pop,
    output reg  [7:0] pop_data,
    output wire       empty,
    output wire       full
);
    reg [7:0] mem [0:(1<<AW)-1];
    reg [AW:0] head, tail;
    assign empty = head == tail;
    assign full = (head[AW-1:0] == tail[AW-1:0]) && (head[AW] != tail[AW]);
    always @(posedge clk) begin
        if (push && !full)
            mem[head[AW-1:0]] <= push_data;
        pop_data <= mem[tail[AW-1:0]];
    end
    always @(posedge clk)
        if (rst) begin
            head <= 0;
            tail <= 0;
        end else begin
            if (push && !full) head <= head + 1'b1;
            if (pop && !empty) tail <= tail + 1'b1;
        end
endmodule
