// Reset synchroniser: the asynchronous reset input is released on the clock, two flops deep,
// so every register of the filter leaves reset on the same edge.
module fir_reset_sync (
    input  wire clk,
    input  wire rst_in,
    output wire rst
);
    reg [1:0] stages;
    always @(posedge clk or posedge rst_in)
        if (rst_in)
            stages <= 2'b11;
        else
            stages <= {stages[0], 1'b0};
    assign rst = stages[1];
endmodule
