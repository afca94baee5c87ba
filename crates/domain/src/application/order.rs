string_enum! {
    /// The order staff read a round's applications in. Each order ends
    /// with the application's id, so a page always follows on from the
    /// last application of the page before, however many join meanwhile.
    #[derive(Default)]
    pub enum QueueOrder("queue order") {
        /// Oldest first: the order they arrived in.
        #[default]
        Oldest = "oldest", "Oldest first";
        /// Largest amount asked for first.
        AmountHighest = "amount_highest", "Largest amount first";
        /// Smallest amount asked for first.
        AmountLowest = "amount_lowest", "Smallest amount first";
        /// Highest mean assessment score first; not yet scored last.
        ScoreHighest = "score_highest", "Highest score first";
    }
}

impl QueueOrder {
    /// Whether this order reveals assessors' scores, which only staff see.
    #[must_use]
    pub const fn reveals_scores(self) -> bool {
        matches!(self, QueueOrder::ScoreHighest)
    }
}
