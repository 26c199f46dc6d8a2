"""Real datasets converted to the .h5mu layout multiverse reads (MuData: /obs, /var, /mod/<modality>)."""
